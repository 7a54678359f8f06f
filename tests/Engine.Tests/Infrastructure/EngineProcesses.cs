using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Engine nodes as real processes (the built Api or Silo assembly) on one test database, in the Testing environment,
/// each on its own HTTP, silo and gateway ports: they form one Orleans cluster through the membership table.
/// </summary>
public sealed class EngineProcesses : IAsyncLifetime
{
    public const string AdminKey = "ek_process_admin_key";
    public TestDatabase Db { get; } = new();
    public List<Process> Nodes { get; } = [];

    public Task InitializeAsync() => Db.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var p in Nodes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); await p.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        await Db.DisposeAsync();
    }

    /// <summary>Starts a node of <paramref name="project"/> (Api: a node or an API-only client; Silo: a silo only) and
    /// waits for its health.</summary>
    public Task<HttpClient> StartAsync(string name, string project = "Api",
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var assembly = Assembly(project);
        return LaunchAsync(name, "dotnet", port => [assembly, "--urls", $"http://127.0.0.1:{port}"],
            Path.GetDirectoryName(assembly)!, Db.ConnectionString, settings);
    }

    /// <summary>Starts a node through a script of the repository (it ends by running the node with the arguments it was
    /// given after <paramref name="arguments"/>'s own) on <paramref name="connectionString"/>'s server.</summary>
    public Task<HttpClient> StartScriptAsync(string name, string script, string[] arguments, string connectionString) =>
        LaunchAsync(name, "bash", port => [Repository.PathTo("scripts", script), .. arguments, "--urls", $"http://127.0.0.1:{port}"],
            Repository.Root, connectionString, null);

    private async Task<HttpClient> LaunchAsync(string name, string file, Func<int, string[]> arguments, string directory,
        string connectionString, IReadOnlyDictionary<string, string>? settings)
    {
        var port = EngineHost.FreePort();
        var start = new ProcessStartInfo(file, arguments(port))
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        start.Environment["Engine__BootstrapAdminKey"] = AdminKey;
        start.Environment["Engine__NodeId"] = name;
        start.Environment["Engine__Cluster__SiloPort"] = EngineHost.FreePort().ToString();
        start.Environment["Engine__Cluster__GatewayPort"] = EngineHost.FreePort().ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Engine__Shutdown__DrainDelay"] = "00:00:00";   // no load balancer to leave
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Nodes.Add(process);
        var client = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Until(async () => (await client.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(90),
            $"{name} to start");
        return client;
    }

    private static string Assembly(string project)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = dir.Parent!.Name;   // bin/<Configuration>/net10.0
        var path = Repository.PathTo("src", project, "bin", configuration, "net10.0", $"{project}.dll");
        Assert.True(File.Exists(path), $"The engine must be built first: {path}");
        return path;
    }

    /// <summary>Polls (real time, bounded) until the condition holds; a node that is down counts as "not
    /// yet".</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try { if (await condition()) return; }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (deadline.Elapsed > within) throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}.");
            await Task.Delay(250);
        }
    }

    public static async Task<int> ActiveSilos(HttpClient node) =>
        (await node.GetFromJsonAsync<JsonElement[]>("/api/v1/nodes"))!
            .Count(s => s.GetProperty("status").GetString() == "Active");
}
