using Microsoft.Extensions.Time.Testing;
using System.Net.Http.Json;
using System.Text.Json;

namespace Engine.Tests.Infrastructure;

/// <summary>A fresh database and one engine node on it, shared by the tests of one class, with a WhatsApp and a WeChat channel.</summary>
public class EngineFixture : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public FakeTimeProvider Clock { get; } = TestClock.Create();
    public EngineHost Host { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public Guid WhatsAppChannel { get; private set; }
    public Guid WeChatChannel { get; private set; }

    public const string AppSecret = "test_app_secret";
    public const string VerifyToken = "verify-me";
    public const string WeChatToken = "AAAAA";
    public const string WeChatAppId = "wx1234567890abcdef";
    public const string AesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    /// <summary>Where the channels send (the fake provider in outbound tests); null keeps the providers' defaults.</summary>
    protected string? ProviderBaseUrl { get; set; }

    /// <summary>Extra configuration for the node.</summary>
    protected Dictionary<string, string> Settings { get; } = [];

    public virtual async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        Host = new EngineHost(Db.ConnectionString, Clock, settings: Settings);
        Admin = Host.Admin();
        WhatsAppChannel = await CreateChannelAsync(Admin, new
        {
            kind = "whatsapp", name = "Main number", phoneNumberId = "990123456789012", displayPhoneNumber = "15557654321",
            appSecret = AppSecret, verifyToken = VerifyToken, accessToken = "EAAG-test", apiBaseUrl = ProviderBaseUrl,
        });
        WeChatChannel = await CreateChannelAsync(Admin, new
        {
            kind = "wechat", name = "Service account", appId = WeChatAppId, token = WeChatToken, appSecret = "wechat-secret", encodingAesKey = AesKey,
            apiBaseUrl = ProviderBaseUrl,
        });
    }

    /// <summary>Sets the business's hours (UTC): the same interval every day; 00:00–00:00 is open all day.</summary>
    public static async Task SetDailyHoursAsync(HttpClient admin, TimeOnly from, TimeOnly to)
    {
        var interval = new[] { new { from = from.ToString("HH:mm"), to = to.ToString("HH:mm") } };
        (await admin.PutAsJsonAsync("/api/v1/business-hours", new
        {
            timeZone = "UTC", week = Enum.GetNames<DayOfWeek>().ToDictionary(d => d, _ => interval), holidays = Array.Empty<string>(),
        })).EnsureSuccessStatusCode();
    }

    public static async Task<Guid> CreateChannelAsync(HttpClient admin, object body)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/channels", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Creating a channel failed: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    public virtual async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Db.DisposeAsync();
    }
}
