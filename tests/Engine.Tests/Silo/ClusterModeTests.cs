using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>
/// Silos and API nodes scale separately: a silo-only process (src/Silo) and an API-only process
/// (Engine:Cluster:Mode=client) form one deployment; the API node serves webhooks and the API through the silo's
/// cluster, and the silo alone appears in it.
/// </summary>
public sealed class ClusterModeTests(EngineProcesses engine) : IClassFixture<EngineProcesses>
{
    [Fact]
    public async Task An_api_only_node_serves_through_a_silo_only_node()
    {
        var silo = await engine.StartAsync("silo-only", project: "Silo",
            new Dictionary<string, string> { ["Engine__Metrics__AllowedNetworks"] = "127.0.0.0/8" });
        // No public API on a silo; its metrics for the operators' scraper.
        Assert.Equal(HttpStatusCode.NotFound, (await silo.GetAsync("/api/v1/channels")).StatusCode);
        var scrape = await silo.GetStringAsync("/metrics");
        Assert.Contains("\norleans_", scrape);
        Assert.Contains("\ndb_client_", scrape);

        var api = await engine.StartAsync("api-only",
            settings: new Dictionary<string, string> { ["Engine__Cluster__Mode"] = "client" });
        var silos = (await api.GetFromJsonAsync<JsonElement[]>("/api/v1/nodes"))!;
        var active = Assert.Single(silos, s => s.GetProperty("status").GetString() == "Active");
        Assert.Equal("silo-only", active.GetProperty("name").GetString());

        var channel = await EngineFixture.CreateChannelAsync(api, new
        {
            kind = "whatsapp", name = "Split deployment",
            phoneNumberId = "990123456789077", displayPhoneNumber = "15557650077",
            appSecret = EngineFixture.AppSecret, verifyToken = "v", accessToken = "EAAG-test",
        });
        var delivery = Wa.TextDelivery("447900077001", "wamid.split-1", 1760000000, "hi", phoneNumberId: "990123456789077");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(api, channel, delivery)).StatusCode);
        Assert.Equal(1, await engine.Db.CountAsync("from messages where provider_message_id = 'wamid.split-1'"));

        // The message was written long ago, so its 24-hour window is already past: the API node's commit wakes the
        // conversation's grain through its cluster client, and the grain (on the silo) closes the window at once.
        var conversation = await engine.Db.ScalarAsync<Guid>(
            "select conversation_id from messages where provider_message_id = 'wamid.split-1'");
        await EngineProcesses.Until(async () =>
            await engine.Db.CountAsync("from entity_events where entity_id = @c and type = @t",
                ("c", conversation), ("t", "conversation.window_closed")) == 1,
            TimeSpan.FromSeconds(30), "the window to close");
    }
}
