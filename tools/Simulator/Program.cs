using Engine.Simulator;

// Load and demo traffic for the engine, and the ingest benchmark.
//   simulate --url http://127.0.0.1:8080 [--url …] (--channel ID --secret S [--phone-number-id N] | --admin-key K)
// [--kind whatsapp|wechat]
//            [--aes-key KEY --app-id APPID] [--customers 50] [--rate 20] [--seconds 30] [--duplicates 0.05] [--concurrency 16]
//            [--api-base-url http://127.0.0.1:9099]   (a created channel sends to this provider, e.g. tools/FakeProvider)
//   bench --postgres "Host=…;Database=…" [--messages 6000] [--customers 1000]
//   seed --postgres "Host=…;Database=…" [--conversations 1000000] [--messages-per-conversation 10] [--days 30]   (report performance data)
var command = args.FirstOrDefault() ?? "help";
var opts = Args.Parse(args.Skip(1));
switch (command)
{
    case "simulate":
    {
        var urls = opts.All("url").DefaultIfEmpty("http://127.0.0.1:8080").Select(u => new Uri(u)).ToArray();
        var kind = opts.Get("kind", "whatsapp");
        var secret = opts.Get("secret", kind == "wechat" ? "simtoken" : "simulator-secret");
        var aesKey = opts.GetOrNull("aes-key");
        var appId = opts.GetOrNull("app-id");
        var (channel, phoneNumberId) = opts.GetOrNull("channel") is { } c
            ? (Guid.Parse(c), kind == "wechat" ? null
                : opts.GetOrNull("phone-number-id") ?? throw new ArgumentException("A WhatsApp --channel needs its --phone-number-id (deliveries name it)."))
            : await Traffic.CreateChannelAsync(urls[0], opts.GetOrNull("admin-key") ?? throw new ArgumentException("Give --channel and --secret, or --admin-key to create a channel."),
                kind, secret, aesKey, appId ?? (aesKey is null ? null : "wxsimulator00001"), opts.GetOrNull("api-base-url"));
        if (aesKey is not null) appId ??= "wxsimulator00001";
        Console.WriteLine($"channel {channel} ({kind}) on {string.Join(", ", urls.Select(u => u.ToString()))}");
        var report = await Traffic.RunAsync(new TrafficOptions(urls, kind, channel, secret, aesKey, appId,
            int.Parse(opts.Get("customers", "50")), double.Parse(opts.Get("rate", "20")), TimeSpan.FromSeconds(double.Parse(opts.Get("seconds", "30"))),
            double.Parse(opts.Get("duplicates", "0.05")), int.Parse(opts.Get("concurrency", "16")),
            opts.GetOrNull("messages") is { } m ? int.Parse(m) : null, Seed: Environment.TickCount % 10_000, PhoneNumberId: phoneNumberId));
        Console.WriteLine(report);
        return report.Failed == 0 ? 0 : 1;
    }
    case "bench":
        return await Benchmark.RunAsync(opts.GetOrNull("postgres") ?? throw new ArgumentException("--postgres is required"),
            int.Parse(opts.Get("messages", "6000")), int.Parse(opts.Get("customers", "1000")));
    case "seed":
        return await Seed.RunAsync(opts.GetOrNull("postgres") ?? throw new ArgumentException("--postgres is required"),
            int.Parse(opts.Get("conversations", "1000000")), int.Parse(opts.Get("messages-per-conversation", "10")), int.Parse(opts.Get("days", "30")));
    default:
        Console.WriteLine("usage: Simulator simulate --url URL (--channel ID --secret S | --admin-key K) [--kind whatsapp|wechat] [--customers N] [--rate R] [--seconds S] [--duplicates P]");
        Console.WriteLine("       Simulator bench --postgres CONNECTION_STRING [--messages N] [--customers N]");
        return command == "help" ? 0 : 2;
}

internal sealed class Args
{
    private readonly List<(string Key, string Value)> _pairs = [];

    public static Args Parse(IEnumerable<string> args)
    {
        var result = new Args();
        string? key = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--")) { if (key is not null) result._pairs.Add((key, "true")); key = a[2..]; }
            else if (key is not null) { result._pairs.Add((key, a)); key = null; }
            else throw new ArgumentException($"Unexpected argument '{a}'.");
        }
        if (key is not null) result._pairs.Add((key, "true"));
        return result;
    }

    public string? GetOrNull(string key) => _pairs.LastOrDefault(p => p.Key == key).Value;
    public string Get(string key, string fallback) => GetOrNull(key) ?? fallback;
    public IEnumerable<string> All(string key) => _pairs.Where(p => p.Key == key).Select(p => p.Value);
}
