using System.Text.RegularExpressions;
using Engine.Silo.Hosting;
using Engine.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Engine.Tests.Deployment;

/// <summary>
/// No container engine runs here, so <c>docker compose config</c> cannot: these tests check what it would (the
/// Compose specification's keys, references, interpolation) and what the deployment promises an operator (three
/// nodes, each ready only when <c>/health/ready</c> says so, the Orleans ports, every setting a real configuration
/// key), and the same for the Kubernetes manifest.
/// </summary>
public sealed class DeploymentFileTests
{
    private static readonly HashSet<string> TopLevelKeys = ["name", "services", "volumes", "networks", "configs",
        "secrets", "include", "models"];

    /// <summary>A service's keys in the Compose specification.</summary>
    private static readonly HashSet<string> ServiceKeys =
    [
        "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "command",
        "configs", "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
        "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset", "credential_spec", "depends_on", "deploy", "develop",
        "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
        "environment", "expose", "extends", "external_links", "extra_hosts", "gpus", "group_add", "healthcheck",
        "hostname", "image", "init", "ipc", "isolation", "labels", "links", "logging", "mac_address", "mem_limit",
        "mem_reservation", "mem_swappiness", "memswap_limit", "network_mode", "networks", "oom_kill_disable",
        "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged", "profiles",
        "pull_policy", "read_only", "restart", "runtime", "scale", "secrets", "security_opt", "shm_size",
        "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "user",
        "userns_mode", "uts", "volumes", "volumes_from", "working_dir",
    ];

    private static readonly HashSet<string> HealthcheckKeys = ["test", "interval", "timeout", "retries",
        "start_period", "start_interval", "disable"];

    private static readonly HashSet<string> BuildKeys = ["context", "dockerfile", "dockerfile_inline", "args",
        "ssh", "cache_from", "cache_to", "additional_contexts", "entitlements", "extra_hosts", "isolation",
        "privileged", "labels", "no_cache", "pull", "network", "shm_size", "target", "secrets", "tags", "ulimits",
        "platforms"];

    private static readonly HashSet<string> DependsOnKeys = ["condition", "restart", "required"];

    private static readonly HashSet<string> Conditions = ["service_started", "service_healthy",
        "service_completed_successfully"];

    /// <summary>Compose's durations: <c>1m30s</c>, <c>500ms</c>, <c>2h</c>.</summary>
    private static readonly Regex Duration = new(@"^(\d+(\.\d+)?(us|ms|s|m|h))+$");

    /// <summary>What follows a <c>$</c> in a Compose value: <c>$$</c>, <c>$NAME</c>, <c>${NAME}</c>,
    /// <c>${NAME:-default}</c>, <c>${NAME-default}</c>, <c>${NAME:?error}</c>, <c>${NAME?error}</c>,
    /// <c>${NAME:+alt}</c>, <c>${NAME+alt}</c>.</summary>
    private static readonly Regex Interpolation =
        new(@"\G(\$|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*((:?[-?+])[^}]*)?\})");

    private static Dictionary<string, object> Compose() =>
        Mapping(Documents(File.ReadAllText(Repository.PathTo("docker-compose.yml"))).Single(), "the compose file");

    [Fact]
    public void The_compose_file_uses_only_the_specifications_keys_and_its_references_resolve()
    {
        var compose = Compose();
        foreach (var key in compose.Keys)
            Assert.True(TopLevelKeys.Contains(key) || key.StartsWith("x-"), $"unknown top-level key '{key}'");
        var services = Mapping(compose["services"], "services");
        var volumes = compose.TryGetValue("volumes", out var v) ? Mapping(v ?? new Dictionary<object, object>(), "volumes") : [];
        Assert.NotEmpty(services);
        foreach (var (name, value) in services)
        {
            Assert.Matches("^[a-z0-9][a-z0-9_.-]*$", name);
            var service = Mapping(value, name);
            foreach (var key in service.Keys)
                Assert.True(ServiceKeys.Contains(key) || key.StartsWith("x-"), $"{name}: unknown key '{key}'");
            Assert.True(service.ContainsKey("image") || service.ContainsKey("build"), $"{name}: neither image nor build");
            if (service.TryGetValue("build", out var build) && build is Dictionary<object, object>)
            {
                var b = Mapping(build, $"{name}.build");
                foreach (var key in b.Keys) Assert.True(BuildKeys.Contains(key), $"{name}.build: unknown key '{key}'");
                var context = Repository.PathTo(Text(b["context"]));
                Assert.True(Directory.Exists(context), $"{name}: no build context {context}");
                if (b.TryGetValue("dockerfile", out var file))
                    Assert.True(File.Exists(Path.Combine(context, Text(file))), $"{name}: no Dockerfile {file}");
            }
            if (service.TryGetValue("healthcheck", out var hc)) CheckHealthcheck(name, Mapping(hc, $"{name}.healthcheck"));
            if (service.TryGetValue("depends_on", out var deps))
                foreach (var (dependency, condition) in DependsOn(deps))
                {
                    Assert.True(services.ContainsKey(dependency), $"{name} depends on the unknown service {dependency}");
                    Assert.Contains(condition, Conditions);
                    if (condition == "service_healthy")
                        Assert.True(Mapping(services[dependency], dependency).ContainsKey("healthcheck"),
                            $"{name} waits for {dependency} to be healthy, which has no health check");
                }
            if (service.TryGetValue("restart", out var restart))
                Assert.Matches("^(no|always|unless-stopped|on-failure(:[0-9]+)?)$", Text(restart));
            if (service.TryGetValue("stop_grace_period", out var grace)) Assert.Matches(Duration, Text(grace));
            foreach (var port in List(service, "ports").Concat(List(service, "expose")))
                Assert.Matches(@"^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(/(tcp|udp))?$", Text(port));
            foreach (var mount in List(service, "volumes"))
            {
                var source = Text(mount).Split(':')[0];
                if (source.StartsWith('.') || source.StartsWith('/'))
                    Assert.True(Path.Exists(Repository.PathTo(source)), $"{name}: no {source} to mount");
                else
                    Assert.True(volumes.ContainsKey(source), $"{name}: the volume '{source}' is not declared");
            }
        }
        foreach (var value in Scalars(compose)) CheckInterpolation(value);
    }

    [Fact]
    public void Three_engine_nodes_advertise_themselves_on_the_orleans_ports_and_are_ready_only_through_health_ready()
    {
        var services = Mapping(Compose()["services"], "services");
        var nodes = EngineNodes(services);
        Assert.True(nodes.Count >= 3, $"{nodes.Count} engine nodes");
        var shutdown = new ShutdownOptions();
        foreach (var (name, node) in nodes)
        {
            var healthcheck = Mapping(node["healthcheck"], $"{name}.healthcheck");
            Assert.Contains("http://localhost:8080/health/ready", List(healthcheck, "test").Select(Text));
            Assert.Equal(["11111", "30000", "8080"], List(node, "expose").Select(Text).Order());
            var env = Environment(node);
            Assert.Equal(name, env["Engine__Cluster__AdvertisedAddress"]);
            Assert.Equal(name, env["Engine__NodeId"]);
            var database = Regex.Match(env["ConnectionStrings__Postgres"], "Host=([^;]+)").Groups[1].Value;
            Assert.Equal("service_healthy", DependsOn(node["depends_on"])[database]);
            // Every node keeps attachments on one shared named volume.
            var media = List(node, "volumes").Select(Text).Select(v => v.Split(':'))
                .SingleOrDefault(v => v.Length >= 2 && v[1] == env["Engine__Media__Path"]);
            Assert.True(media is not null && !media[0].StartsWith('.') && !media[0].StartsWith('/'),
                $"{name}: Engine__Media__Path must be a shared named volume");
            Assert.True(ParseDuration(Text(node["stop_grace_period"])) >= shutdown.DrainDelay + shutdown.Timeout,
                $"{name}: the grace period must cover the drain delay and the shutdown timeout");
        }
        // The balancer sends to every node, and only once it is ready.
        var balancer = Mapping(services["balancer"], "balancer");
        var upstreams = Regex.Matches(File.ReadAllText(Repository.PathTo("deploy", "nginx.conf")), @"server\s+([\w.-]+):8080;")
            .Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.Equal(nodes.Keys.Order().ToArray(), upstreams);
        var waits = DependsOn(balancer["depends_on"]);
        Assert.All(nodes.Keys, n => Assert.Equal("service_healthy", waits[n]));
    }

    [Fact]
    public void Every_setting_the_deployments_make_is_a_documented_configuration_key()
    {
        var readme = File.ReadAllText(Repository.PathTo("README.md"));
        var settings = EngineNodes(Mapping(Compose()["services"], "services")).Values.SelectMany(n => Environment(n).Keys)
            .Concat(KubernetesContainer().Env.Keys)
            .Where(k => k.StartsWith("Engine__") || k.StartsWith("ConnectionStrings__"))
            .Distinct();
        foreach (var key in settings)
            Assert.True(readme.Contains($"`{key.Replace("__", ":")}`"), $"{key} is not in the README's configuration table");
    }

    [Fact]
    public void The_image_builds_from_the_sources_alone_and_can_answer_its_health_check()
    {
        var ignored = File.ReadAllLines(Repository.PathTo(".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var path in new[] { "**/bin/", "**/obj/", ".git/", ".pg/", ".artifacts/" })
            Assert.Contains(path, ignored);
        var dockerfile = File.ReadAllText(Repository.PathTo("deploy", "Dockerfile"));
        Assert.Matches(@"apt-get install[^\n]*\bcurl\b", dockerfile);   // the compose health check runs curl
        Assert.Matches(@"EXPOSE 8080 11111 30000", dockerfile);
        Assert.Contains("src/Api/Api.csproj", dockerfile);
        Assert.True(File.Exists(Repository.PathTo("src", "Api", "Api.csproj")));
    }

    [Fact]
    public void The_kubernetes_deployment_is_ready_through_health_ready_advertises_its_pod_ip_and_drains_in_time()
    {
        var (spec, container, env) = KubernetesContainer();
        var ports = List(container, "ports").Select(p => Mapping(p, "port"))
            .ToDictionary(p => Text(p["name"]), p => Text(p["containerPort"]));
        Assert.Equal("8080", ports["http"]);
        Assert.Equal("11111", ports["silo"]);
        Assert.Equal("30000", ports["gateway"]);
        Assert.Equal("/health/ready", Text(Mapping(Mapping(container["readinessProbe"], "readiness")["httpGet"], "get")["path"]));
        Assert.Equal("/health/live", Text(Mapping(Mapping(container["livenessProbe"], "liveness")["httpGet"], "get")["path"]));
        Assert.Equal("$(POD_IP)", env["Engine__Cluster__AdvertisedAddress"]);
        var shutdown = new ShutdownOptions();
        Assert.True(TimeSpan.FromSeconds(int.Parse(Text(spec["terminationGracePeriodSeconds"])))
            >= shutdown.DrainDelay + shutdown.Timeout);
    }

    private static (Dictionary<string, object> Spec, Dictionary<string, object> Container, Dictionary<string, string> Env)
        KubernetesContainer()
    {
        var documents = Documents(File.ReadAllText(Repository.PathTo("deploy", "kubernetes.yaml")))
            .Select(d => Mapping(d, "document")).ToList();
        Assert.All(documents, d => Assert.True(d.ContainsKey("apiVersion") && d.ContainsKey("kind")));
        var deployment = documents.Single(d => Text(d["kind"]) == "Deployment");
        var template = Mapping(Mapping(Mapping(deployment["spec"], "spec")["template"], "template")["spec"], "pod");
        var container = Mapping(List(template, "containers").Single(), "container");
        var env = List(container, "env").Select(e => Mapping(e, "env"))
            .ToDictionary(e => Text(e["name"]), e => e.TryGetValue("value", out var x) ? Text(x) : "(from a source)");
        return (template, container, env);
    }

    private static Dictionary<string, Dictionary<string, object>> EngineNodes(Dictionary<string, object> services) =>
        services.Select(s => (s.Key, Service: Mapping(s.Value, s.Key)))
            .Where(s => s.Service.TryGetValue("build", out var b) && b is Dictionary<object, object> build
                && build.TryGetValue("dockerfile", out var f) && Text(f) == "deploy/Dockerfile")
            .ToDictionary(s => s.Key, s => s.Service);

    private static void CheckHealthcheck(string service, Dictionary<string, object> hc)
    {
        foreach (var key in hc.Keys) Assert.True(HealthcheckKeys.Contains(key), $"{service}.healthcheck: unknown key '{key}'");
        var test = hc["test"] is List<object> list ? list.Select(Text).ToList() : [Text(hc["test"])];
        if (hc["test"] is List<object>) Assert.Contains(test[0], new[] { "CMD", "CMD-SHELL", "NONE" });
        foreach (var key in new[] { "interval", "timeout", "start_period", "start_interval" })
            if (hc.TryGetValue(key, out var d)) Assert.Matches(Duration, Text(d));
        if (hc.TryGetValue("retries", out var r)) Assert.True(int.TryParse(Text(r), out _), $"{service}: retries '{r}'");
    }

    private static void CheckInterpolation(string value)
    {
        for (var i = value.IndexOf('$'); i >= 0; i = value.IndexOf('$', i))
        {
            var m = Interpolation.Match(value, i + 1);
            Assert.True(m.Success, $"invalid interpolation in '{value}' at {i}");
            i += 1 + m.Length;
        }
    }

    private static TimeSpan ParseDuration(string value) =>
        Regex.Matches(value, @"(\d+(?:\.\d+)?)(us|ms|s|m|h)").Aggregate(TimeSpan.Zero, (sum, m) =>
            sum + double.Parse(m.Groups[1].Value) * m.Groups[2].Value switch
            {
                "us" => TimeSpan.FromMicroseconds(1), "ms" => TimeSpan.FromMilliseconds(1), "s" => TimeSpan.FromSeconds(1),
                "m" => TimeSpan.FromMinutes(1), _ => TimeSpan.FromHours(1),
            });

    /// <summary>Short (<c>[a, b]</c>) or long (<c>a: {condition: …}</c>) form, as dependency → condition.</summary>
    private static Dictionary<string, string> DependsOn(object value) => value is List<object> list
        ? list.ToDictionary(Text, _ => "service_started")
        : Mapping(value, "depends_on").ToDictionary(d => d.Key, d =>
        {
            var options = Mapping(d.Value, d.Key);
            foreach (var key in options.Keys) Assert.True(DependsOnKeys.Contains(key), $"depends_on.{d.Key}: unknown key '{key}'");
            return options.TryGetValue("condition", out var c) ? Text(c) : "service_started";
        });

    /// <summary>A service's environment, in list (<c>- K=V</c>) or mapping form.</summary>
    private static Dictionary<string, string> Environment(Dictionary<string, object> service) =>
        service["environment"] is List<object> list
            ? list.Select(Text).ToDictionary(e => e.Split('=', 2)[0], e => e.Split('=', 2).ElementAtOrDefault(1) ?? "")
            : Mapping(service["environment"], "environment").ToDictionary(e => e.Key, e => Text(e.Value));

    /// <summary>Every document of a YAML stream, with merge keys (<c>&lt;&lt;: *anchor</c>) applied as Compose does.</summary>
    private static List<object> Documents(string yaml)
    {
        var parser = new MergingParser(new Parser(new StringReader(yaml)));
        var deserializer = new DeserializerBuilder().Build();
        parser.Consume<StreamStart>();
        var documents = new List<object>();
        while (parser.Accept<DocumentStart>(out _))
            documents.Add(deserializer.Deserialize<object>(parser) ?? throw new InvalidDataException("empty document"));
        return documents;
    }

    private static Dictionary<string, object> Mapping(object? value, string what) => value is Dictionary<object, object> map
        ? map.ToDictionary(e => Text(e.Key), e => e.Value ?? "")
        : throw new InvalidDataException($"{what} is not a mapping");

    private static List<object> List(Dictionary<string, object> map, string key) =>
        map.TryGetValue(key, out var value) ? value as List<object> ?? throw new InvalidDataException($"{key} is not a list") : [];

    private static string Text(object? value) => value as string ?? throw new InvalidDataException($"'{value}' is not a scalar");

    private static IEnumerable<string> Scalars(object? node) => node switch
    {
        string s => [s],
        Dictionary<object, object> map => map.SelectMany(e => Scalars(e.Key).Concat(Scalars(e.Value))),
        Dictionary<string, object> map => map.Values.SelectMany(Scalars),
        List<object> list => list.SelectMany(Scalars),
        _ => [],
    };
}
