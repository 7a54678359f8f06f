using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>
/// A real crash: two engine processes (API + silo each) on one database form one Orleans cluster through the
/// membership table; under a stream of signed webhooks one is killed with SIGKILL. Nothing acknowledged is lost or
/// doubled, the survivor serves every conversation, and locks whose grains lived on the dead process are released.
/// </summary>
public sealed class CrashTests(EngineProcesses engine) : IClassFixture<EngineProcesses>
{
    [Fact]
    public async Task Killing_a_node_under_load_loses_and_doubles_nothing_and_the_survivor_takes_over()
    {
        var a = await engine.StartAsync("crash-a");
        var b = await engine.StartAsync("crash-b");
        await Wait(async () => await EngineProcesses.ActiveSilos(a) == 2, 60, "two active silos");
        var channel = await EngineFixture.CreateChannelAsync(a, new
        {
            kind = "whatsapp", name = "Crash number",
            phoneNumberId = "990123456789099", displayPhoneNumber = "15557650000",
            appSecret = EngineFixture.AppSecret, verifyToken = "v", accessToken = "EAAG-test",
        });
        var phones = Enumerable.Range(0, 20).Select(i => $"4479000{i:00000}").ToArray();
        // The customers write now (the nodes' clock is the real one): their response windows stay open.
        var sent = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // Every customer writes once, and an agent opens (locks) each conversation through the node that will die.
        foreach (var phone in phones)
            Assert.Equal(HttpStatusCode.OK, await WriteAsync(b, channel, phone, Wa.NewId(), sent, "hello"));
        var agent = await AgentAsync(b);
        var conversations = await ConversationsAsync(phones);
        foreach (var c in conversations)
        {
            var locked = await agent.PostAsync($"/api/v1/conversations/{c}/lock", null);
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        // A stream of signed deliveries to both nodes; node B is killed in the middle of it.
        var acknowledged = new ConcurrentBag<string>();
        var killed = false;
        int acknowledgedByVictim = 0, refusedByVictimAfterKill = 0;
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 8).Select(s => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"wamid.crash-{s}-{i}";
                var node = i % 2 == 0 ? a : b;
                try
                {
                    var phone = phones[(s * 7 + i) % phones.Length];
                    var answer = await WriteAsync(node, channel, phone, id, sent + i % 60, $"m{i}");
                    if (answer == HttpStatusCode.OK) acknowledged.Add(id);
                    if (answer == HttpStatusCode.OK && node == b) Interlocked.Increment(ref acknowledgedByVictim);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    if (node == b && Volatile.Read(ref killed)) Interlocked.Increment(ref refusedByVictimAfterKill);
                }
            }
        })).ToArray();
        await Wait(() => Task.FromResult(acknowledged.Count >= 150), 60, "load to build up");
        engine.Nodes[1].Kill();   // SIGKILL: no graceful shutdown, no membership update, in-flight commits cut off
        Volatile.Write(ref killed, true);
        await Wait(() => Task.FromResult(acknowledged.Count >= 300), 60, "the survivor to keep acknowledging");
        stop.Cancel();
        await Task.WhenAll(senders);

        Assert.True(acknowledgedByVictim > 0 && refusedByVictimAfterKill > 0,
            "The victim served load, then died under it.");

        // Every acknowledged delivery is stored exactly once.
        var ids = acknowledged.ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(ids.Length, await engine.Db.CountAsync("from messages where provider_message_id = any(@ids)",
            ("ids", ids)));
        Assert.Equal(0, await engine.Db.CountAsync(
            "from (select 1 from messages group by channel_id, provider_message_id having count(*) > 1) d"));

        // The cluster sees the dead silo, and the survivor serves every conversation.
        await Wait(async () => await EngineProcesses.ActiveSilos(a) == 1, 90, "the killed silo to be declared dead");
        foreach (var phone in phones)
            Assert.Equal(HttpStatusCode.OK, await WriteAsync(a, channel, phone, Wa.NewId(), sent + 60, "after"));
        foreach (var c in conversations)
            Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/api/v1/conversations/{c}")).StatusCode);

        // The agent stays silent past the 3-minute idle release: every lock is released by the survivor,
        // including those whose grains lived on the killed process.
        Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("/test/clock/advance?seconds=181", null)).StatusCode);
        await Wait(async () =>
        {
            foreach (var c in conversations)
            {
                var view = await a.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{c}");
                if (view.GetProperty("lock").ValueKind != JsonValueKind.Null) return false;
            }
            return true;
        }, 60, "idle release on the survivor");
        foreach (var c in conversations)
            Assert.Equal(1, await engine.Db.CountAsync(
                "from entity_events where entity_id = @c and type = 'conversation.idle_released'", ("c", c)));
    }

    private static async Task<HttpStatusCode> WriteAsync(HttpClient node, Guid channel, string phone, string id,
        long sentAt, string text) =>
        (await Wa.PostAsync(node, channel, Wa.TextDelivery(phone, id, sentAt, text, phoneNumberId: "990123456789099"))).StatusCode;

    private static Task Wait(Func<Task<bool>> condition, int seconds, string what) =>
        EngineProcesses.Until(condition, TimeSpan.FromSeconds(seconds), what);

    private async Task<HttpClient> AgentAsync(HttpClient admin)
    {
        var email = $"crash.agent.{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery";
        var user = new { email, name = "Crash Agent", role = "Editor", password, capacity = 50 };
        (await admin.PostAsJsonAsync("/api/v1/users", user)).EnsureSuccessStatusCode();
        var login = await admin.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var client = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = admin.Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<Guid[]> ConversationsAsync(string[] phones)
    {
        var result = new List<Guid>();
        foreach (var phone in phones)
            result.Add(await engine.Db.ScalarAsync<Guid>(
                "select v.id from conversations v join contacts c on c.id = v.contact_id " +
                "where c.external_id = @p and v.status = 'open'", ("p", phone)));
        return [.. result];
    }
}
