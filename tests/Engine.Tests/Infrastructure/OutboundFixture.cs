using System.Net.Http.Json;
using System.Text.Json;
using Engine.FakeProvider;
using Engine.Silo.Runtime;

namespace Engine.Tests.Infrastructure;

/// <summary>An engine node whose channels send to a fake provider over real HTTP.</summary>
public class OutboundFixture : EngineFixture
{
    public FakeProviderServer Provider { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Provider = await FakeProviderServer.StartAsync();
        ProviderBaseUrl = Provider.BaseUrl.ToString().TrimEnd('/');
        Settings["Engine:ProviderTimeout"] = "00:00:01";
        Settings["Engine:WebhookTimeout"] = "00:00:01";
        await base.InitializeAsync();
        Provider.StatusClient = Host.CreateClient();
        Provider.StatusWebhookUrl = $"/webhooks/whatsapp/{WhatsAppChannel}";
        Provider.StatusWebhookSecret = AppSecret;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }

    /// <summary>Runs this node's dispatcher until nothing is due at the current (fake) time.</summary>
    public async Task DrainAsync(OutboxDispatcher? dispatcher = null)
    {
        dispatcher ??= Host.Service<OutboxDispatcher>();
        for (var i = 0; i < 50 && await dispatcher.RunDueAsync(CancellationToken.None) > 0; i++) { }
    }

    /// <summary>A customer writes now (opening the window); returns their open conversation.</summary>
    public async Task<Guid> CustomerWritesAsync(string phone)
    {
        var r = await Wa.PostAsync(Host.CreateClient(), WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), Clock.GetUtcNow().ToUnixTimeSeconds(), "hello"));
        r.EnsureSuccessStatusCode();
        return await Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    public async Task<HttpResponseMessage> SendAsync(Guid conversation, object body) =>
        await Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", body);

    public async Task<JsonElement> MessageAsync(Guid conversation, Guid message)
    {
        var page = await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conversation}/messages?limit=500");
        return page.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("id").GetGuid() == message);
    }

    public static async Task<Guid> MessageIdOf(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetProperty("id").GetGuid();
}
