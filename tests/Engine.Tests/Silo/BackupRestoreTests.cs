using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;
using Npgsql;

namespace Engine.Tests.Silo;

/// <summary>
/// What the README says to back up is enough: scripts/backup.sh dumps a running engine's database, scripts/restore.sh
/// restores it into a fresh database and starts a node on it, and that node has the messages, the API keys and the key
/// ring that unseals the channels' secrets (it verifies a signed webhook with the restored app secret).
/// </summary>
public sealed class BackupRestoreTests(EngineProcesses engine) : IClassFixture<EngineProcesses>
{
    private static async Task<(int Code, string Output)> RunAsync(string script, string connectionString, params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Repository.PathTo("scripts", script), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root,
        };
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await output + await error);
    }

    [Fact]
    public async Task A_dump_restored_into_a_fresh_database_starts_a_node_with_the_data_keys_and_secrets()
    {
        var original = await engine.StartAsync("original");
        var channel = await EngineFixture.CreateChannelAsync(original, new
        {
            kind = "whatsapp", name = "Backed up", phoneNumberId = "990123456789088", displayPhoneNumber = "15557650088",
            appSecret = "restored-app-secret", verifyToken = "v", accessToken = "EAAG-backup",
        });
        var key = await original.PostAsJsonAsync("/api/v1/api-keys", new { name = "integrator", role = "Editor" });
        key.EnsureSuccessStatusCode();
        var integratorKey = JsonDocument.Parse(await key.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString();
        var delivery = Wa.TextDelivery("447900088001", "wamid.backup-1", 1760000000, "before the backup",
            phoneNumberId: "990123456789088");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(original, channel, delivery, "restored-app-secret")).StatusCode);

        var dump = Path.Combine(Path.GetTempPath(), $"engine-{Guid.NewGuid():N}.dump");
        var restored = "r_" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            var backup = await RunAsync("backup.sh", engine.Db.ConnectionString, dump);
            Assert.True(backup.Code == 0, backup.Output);

            // Never over an existing database.
            var refused = await RunAsync("restore.sh", engine.Db.ConnectionString, dump, engine.Db.Name);
            Assert.Equal(1, refused.Code);
            Assert.Contains("exists", refused.Output);

            var node = await engine.StartScriptAsync("restored", "restore.sh", [dump, restored, "--start"],
                engine.Db.ConnectionString);
            await EngineProcesses.Until(async () => (await node.GetAsync("/health/ready")).IsSuccessStatusCode,
                TimeSpan.FromSeconds(60), "the restored node to be ready");
            // A new cluster: only the restored node's silo, none of the original's.
            var silos = (await node.GetFromJsonAsync<JsonElement[]>("/api/v1/nodes"))!;
            Assert.Equal("restored", Assert.Single(silos).GetProperty("name").GetString());

            var integrator = new HttpClient { BaseAddress = node.BaseAddress };
            integrator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", integratorKey);
            var list = await integrator.GetFromJsonAsync<JsonElement>("/api/v1/conversations?limit=10");
            var conversation = Assert.Single(list.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid();
            var messages = await integrator.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages");
            Assert.Equal("before the backup", Assert.Single(messages.GetProperty("items").EnumerateArray()).GetProperty("text").GetString());

            // The channel's app secret was sealed by the key ring: the restored node verifies signatures with it.
            var after = Wa.TextDelivery("447900088001", "wamid.backup-2", 1760000100, "after the restore",
                phoneNumberId: "990123456789088");
            Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(node, channel, after, "restored-app-secret")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Wa.PostAsync(node, channel, after, "wrong-secret")).StatusCode);
            await using var db = NpgsqlDataSource.Create(
                new NpgsqlConnectionStringBuilder(engine.Db.ConnectionString) { Database = restored }.ConnectionString);
            await using var count = db.CreateCommand("select count(*) from messages where provider_message_id like 'wamid.backup-%'");
            Assert.Equal(2L, await count.ExecuteScalarAsync());
            Assert.Equal(1, await engine.Db.CountAsync("from messages where provider_message_id like 'wamid.backup-%'"));
        }
        finally
        {
            foreach (var p in engine.Nodes.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
            NpgsqlConnection.ClearAllPools();
            await TestDatabase.AdminExecAsync($"drop database if exists {restored} with (force)");
            File.Delete(dump);
        }
    }
}
