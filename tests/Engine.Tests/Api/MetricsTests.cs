using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>What an operator's Prometheus scrapes after real traffic: the engine's metrics with plausible values next to
/// HTTP's, Npgsql's and Orleans', and who may scrape.</summary>
public class MetricsTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    /// <summary>The largest value among the series of <paramref name="name"/> whose labels contain all of
    /// <paramref name="labels"/>; null when there is none.</summary>
    private static double? Value(string scrape, string name, params string[] labels) =>
        Regex.Matches(scrape, $@"^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline)
            .Where(m => labels.All(l => m.Groups[1].Value.Contains(l)))
            .Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(double.NaN).Max() is var v && double.IsNaN(v) ? null : v;

    [Fact]
    public async Task After_traffic_every_engine_metric_is_scraped_with_a_plausible_value()
    {
        var (agent, _) = await TeamFixture.AgentAsync(f, "Mia Metrics");
        var team = await TeamFixture.TeamAsync(f, "Metered", "manual", [agent]);
        var phone = "6696" + Random.Shared.NextInt64(1_000_000, 9_999_999);
        var conversation = await f.CustomerWritesAsync(phone);
        Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, new { type = "text", text = "Hello" })).StatusCode);
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "wait" }))
            .EnsureSuccessStatusCode();
        await f.DrainAsync();
        f.Clock.Advance(TimeSpan.FromSeconds(301));   // nobody claims it (manual team): the waiting alert is raised
        await TeamFixture.RunTimersAsync(f);
        await f.CustomerWritesAsync("6696" + Random.Shared.NextInt64(1_000_000, 9_999_999));   // left in the outbox
        await TeamFixture.SignInAsync(f, agent);

        var scrape = await f.Admin.GetStringAsync("/metrics");
        // Figures read from the database are per business (the test process runs other engines on other databases).
        var business = $"business=\"{await f.Db.ScalarAsync<Guid>("select id from businesses limit 1")}\"";
        Assert.True(Value(scrape, "engine_webhook_deliveries_total", "outcome=\"accepted\"") >= 2, scrape);
        Assert.True(Value(scrape, "engine_webhook_ack_duration_seconds_count", "channel_kind=\"whatsapp\"") >= 2);
        Assert.True(Value(scrape, "engine_messages_ingested_total", "channel_kind=\"whatsapp\"") >= 2);
        Assert.True(Value(scrape, "engine_ingest_commit_size_count") >= 1);
        Assert.True(Value(scrape, "engine_ingest_commit_duration_seconds_sum") > 0);
        Assert.True(Value(scrape, "engine_provider_sends_total", "result=\"sent\"") >= 1);
        Assert.True(Value(scrape, "engine_alerts_raised_total", "kind=\"waiting\"") >= 1);
        Assert.True(Value(scrape, "engine_outbox_depth", business) >= 1);
        Assert.True(Value(scrape, "engine_outbox_oldest_age_seconds", business) >= 0);
        Assert.True(Value(scrape, "engine_queue_length", business, "team=\"Metered") >= 1);
        Assert.True(Value(scrape, "engine_queue_oldest_wait_seconds", business, "team=\"Metered") >= 300);
        Assert.True(Value(scrape, "engine_agents_online", business) >= 1);
        Assert.True(Value(scrape, "engine_conversations", business, "state=\"queued\"") >= 1);
        Assert.True(Value(scrape, "http_server_request_duration_seconds_count") >= 1);
        Assert.Contains("\ndb_client_", scrape);
        Assert.Contains("\norleans_", scrape);
    }

    [Fact]
    public async Task Metrics_are_anonymous_only_from_the_configured_networks_otherwise_administrators_only()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Host.CreateClient().GetAsync("/metrics")).StatusCode);
        var (_, agent) = await TeamFixture.AgentAsync(f, "Nosy Agent");
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/metrics")).StatusCode);

        await using var scraped = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "scraped",
            settings: new Dictionary<string, string> { ["Engine:Metrics:AllowedNetworks"] = "10.20.0.0/16, 192.0.2.7" });
        scraped.FromAddress(IPAddress.Parse("10.20.3.4"));
        var anonymous = await scraped.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.StartsWith("text/plain", anonymous.Content.Headers.ContentType!.ToString());
    }
}
