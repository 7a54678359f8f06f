using Microsoft.Extensions.Time.Testing;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.FakeProvider;
using Engine.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>
/// A running engine on a real port (test environment: its clock moves only through the test-only endpoint, its
/// workers run timers and the outbox), a fake provider, and headless Debian Chromium driven by Playwright.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    public TestDatabase Db { get; } = new();
    public FakeTimeProvider Clock { get; } = TestClock.Create(DateTimeOffset.UtcNow);   // real "now": the browser's dates and the engine's agree
    public EngineHost Host { get; private set; } = null!;
    public Uri BaseUrl { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public FakeProviderServer Provider { get; private set; } = null!;
    public Guid WhatsAppChannel { get; private set; }
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ArtifactsDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("ENGINE_ARTIFACTS") ?? Path.Combine(AppContext.BaseDirectory, "artifacts"), "screenshots");

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        Provider = await FakeProviderServer.StartAsync();
        Host = new EngineHost(Db.ConnectionString, Clock, workers: true, environment: "Testing", settings: new Dictionary<string, string>
        {
            ["Engine:PollInterval"] = "00:00:00.200", ["Engine:LivePollInterval"] = "00:00:00.100",
            ["Engine:ProviderTimeout"] = "00:00:02", ["Engine:WebhookTimeout"] = "00:00:02",
        });
        BaseUrl = Host.StartOnKestrel();
        Admin = new HttpClient { BaseAddress = BaseUrl };
        Admin.DefaultRequestHeaders.Authorization = new("Bearer", EngineHost.AdminKey);
        WhatsAppChannel = await EngineFixture.CreateChannelAsync(Admin, new
        {
            kind = "whatsapp", name = "Main number", phoneNumberId = Wa.PhoneNumberId, displayPhoneNumber = "15557654321",
            appSecret = EngineFixture.AppSecret, verifyToken = EngineFixture.VerifyToken, accessToken = "EAAG-test", apiBaseUrl = Provider.BaseUrl.ToString().TrimEnd('/'),
        });
        // The engine's clock is the real one here: the business is open all day, so offers do not depend on when the
        // suite runs (business hours are tested on a fake clock elsewhere).
        await EngineFixture.SetDailyHoursAsync(Admin, new TimeOnly(0, 0), new TimeOnly(0, 0));
        Provider.StatusClient = new HttpClient { BaseAddress = BaseUrl };
        Provider.StatusWebhookUrl = $"/webhooks/whatsapp/{WhatsAppChannel}";
        Provider.StatusWebhookSecret = EngineFixture.AppSecret;

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("ENGINE_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run", "--disable-extensions"],
        });
        Directory.CreateDirectory(ArtifactsDirectory);
    }

    /// <summary>A user with a password (for the log-in form), returned with their id.</summary>
    public async Task<(Guid Id, string Email)> UserAsync(string name, string role, int capacity = 5)
    {
        var email = $"{name.ToLowerInvariant().Replace(' ', '.')}.{Guid.NewGuid():N}@example.com";
        var r = await Admin.PostAsJsonAsync("/api/v1/users", new { email, name, role, password = Password, capacity });
        r.EnsureSuccessStatusCode();
        return ((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), email);
    }

    public async Task<Guid> TeamAsync(string name, IEnumerable<Guid> members, bool isDefault = false)
    {
        var r = await Admin.PostAsJsonAsync("/api/v1/teams", new { name = $"{name} {Guid.NewGuid():N}"[..24], strategy = "least_open", members, isDefault });
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>A customer writes through a signed webhook delivery, as Meta would.</summary>
    public async Task CustomerWritesAsync(string phone, string text, string name = "Ana Lima")
    {
        using var client = new HttpClient { BaseAddress = BaseUrl };
        var r = await Wa.PostAsync(client, WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), Clock.GetUtcNow().ToUnixTimeSeconds(), text, name));
        r.EnsureSuccessStatusCode();
    }

    /// <summary>A customer sends an attachment: the fake provider holds the bytes; the webhook names its media id.</summary>
    public async Task CustomerSendsMediaAsync(string phone, string type, byte[] bytes, string mimeType,
        string? filename = null, string? caption = null, string name = "Ana Lima")
    {
        using var client = new HttpClient { BaseAddress = BaseUrl };
        var message = Wa.Media(phone, Wa.NewId(), Clock.GetUtcNow().ToUnixTimeSeconds(), type, Provider.AddMedia(bytes, mimeType),
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), mimeType, filename, caption);
        (await Wa.PostAsync(client, WhatsAppChannel, Wa.Envelope($"[{Wa.Contact(phone, name)}]", $"[{message}]")))
            .EnsureSuccessStatusCode();
    }

    /// <summary>A page that records console errors and uncaught exceptions (a test fails on any).</summary>
    public async Task<(IPage Page, List<string> Errors)> PageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, BaseURL = BaseUrl.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        return (page, errors);
    }

    public static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/");
        await page.FillAsync("input[name=email]", email);
        await page.FillAsync("input[name=password]", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("header.top");
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, name + ".png"), FullPage = true });

    /// <summary>Waits (without sleeping the engine's clock) until the condition holds, polling every 50 ms, up to 15 s.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Host.DisposeAsync();
        await Provider.DisposeAsync();
        await Db.DisposeAsync();
    }
}
