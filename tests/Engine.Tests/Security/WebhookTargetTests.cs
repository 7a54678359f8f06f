using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Runtime;
using Engine.Silo.Webhooks;
using Engine.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Engine.Tests.Security;

/// <summary>Outbound webhooks never reach loopback, private or link-local addresses unless an operator allows the
/// network.</summary>
public class WebhookTargetTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static WebhookTargets Targets(string? allowed = null) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Engine:Security:AllowedWebhookNetworks"] = allowed }).Build());

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.5", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)]   // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]   // IPv4-mapped loopback
    [InlineData("93.184.215.14", true)]
    [InlineData("2606:4700::6810:85e5", true)]
    public void Internal_addresses_are_refused_and_public_ones_allowed(string address, bool allowed) =>
        Assert.Equal(allowed, Targets().IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void An_operator_can_allow_a_network()
    {
        var targets = Targets("10.20.0.0/16");
        Assert.True(targets.IsAllowed(IPAddress.Parse("10.20.3.4")));
        Assert.False(targets.IsAllowed(IPAddress.Parse("10.21.3.4")));
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_when_connecting()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = Targets().ConnectAsync });
        var url = new UriBuilder(receiver.Url) { Host = "localhost" }.Uri;
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));
        Assert.IsType<BlockedTargetException>(refused.InnerException);
        Assert.Empty(receiver.Deliveries);
        using var allowed = new HttpClient(new SocketsHttpHandler { ConnectCallback = Targets("127.0.0.0/8,::1/128").ConnectAsync });
        Assert.True((await allowed.PostAsync(url, new StringContent("{}"))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Internal_targets_are_refused_on_save_and_at_delivery_where_not_allowed()
    {
        await using var strict = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "strict",
            settings: new Dictionary<string, string> { ["Engine:Security:AllowedWebhookNetworks"] = "" });
        var admin = strict.Admin();
        foreach (var url in new[] { "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest", "http://[::1]/x", "http://10.0.0.8/x" })
        {
            var r = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url, events = new[] { "message.received" } });
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.True(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("url", out _));
        }
        var outside = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/engine", events = new[] { "message.received" } });
        Assert.Equal(HttpStatusCode.Created, outside.StatusCode);
        var outsideId = JsonDocument.Parse(await outside.Content.ReadAsStringAsync()).RootElement.GetProperty("webhook").GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/webhooks/{outsideId}")).StatusCode);   // no internet here

        // A subscription that a permissive node accepted is still not called by a strict node.
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await f.Admin.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "conversation.created" } });
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("webhook").GetProperty("id").GetGuid();
        await f.CustomerWritesAsync("66963000001");
        await f.DrainAsync(strict.Service<OutboxDispatcher>());
        Assert.Empty(receiver.Deliveries);
        var attempts = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/attempts");
        var attempt = attempts.ValueKind == JsonValueKind.Array ? attempts[0] : attempts.GetProperty("items")[0];
        Assert.Equal("unreachable", attempt.GetProperty("error").GetString());
    }
}
