using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Engine.Silo.Runtime;
using Orleans.TestingHost;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// One engine node (the real Program: API + silo) on a test database. Several hosts on one database
/// are several nodes. Background workers are off unless asked for: tests drive timers and the
/// outbox explicitly after moving the fake clock.
/// </summary>
public sealed class EngineHost(string connectionString, FakeTimeProvider clock, string nodeId = "node-a", bool workers = false,
    IReadOnlyDictionary<string, string>? settings = null, string environment = "Production")
    : WebApplicationFactory<Program>
{
    public const string AdminKey = "ek_test_admin_key";
    public FakeTimeProvider Clock { get; } = clock;

    private IPAddress? _remote;

    /// <summary>Requests arrive from this address (as from a proxy in front of the node). Call before the first
    /// request.</summary>
    public void FromAddress(IPAddress address) => _remote = address;

    private sealed class RemoteAddress(IPAddress address) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(async (Microsoft.AspNetCore.Http.HttpContext http, Func<Task> inner) => { http.Connection.RemoteIpAddress = address; await inner(); });
            next(app);
        };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("Engine:BootstrapAdminKey", AdminKey);
        builder.UseSetting("Engine:NodeId", nodeId);
        builder.UseSetting("Engine:Workers", workers ? "true" : "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Each host is a silo of its database's cluster: hosts on one database form one cluster.
        builder.UseSetting("Engine:Security:LoginAttemptsPerMinute", "100000");   // tests share one address; the limit has its own test
        builder.UseSetting("Engine:Security:AllowedWebhookNetworks", "127.0.0.0/8,::1/128");   // the test receivers listen on loopback
        builder.UseSetting("Engine:Cluster:SiloPort", FreePort().ToString());
        builder.UseSetting("Engine:Cluster:GatewayPort", FreePort().ToString());
        builder.UseSetting("Engine:Shutdown:DrainDelay", "00:00:00");   // no load balancer to leave (the health test sets one)
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            s.AddSingleton<IAdjustableClock>(new AdjustableFakeClock(Clock));
            s.UseTimeProviderForBackgroundAreas(TimeProvider.System);   // membership and directory keep real time
            if (_remote is { } remote) s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new RemoteAddress(remote));
        });
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    private IHost? _host;

    protected override IHost CreateHost(IHostBuilder builder) => _host = base.CreateHost(builder);

    /// <summary>Stops the node gracefully, as SIGTERM would (the test server keeps answering while it drains).</summary>
    public Task StopGracefullyAsync() => (_host ?? throw new InvalidOperationException("The node has not started.")).StopAsync();

    /// <summary>Serves on a real loopback port (for a browser) instead of the in-memory test server; returns the base address.</summary>
    public Uri StartOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
    }

    /// <summary>A client authenticated with the bootstrap administrator key.</summary>
    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public HttpClient WithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
