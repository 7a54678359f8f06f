namespace Engine.Silo;

/// <summary>Configuration section "Engine".</summary>
public sealed class EngineOptions
{
    /// <summary>This node's name in leases (outbox, tokens); default host-pid-random.</summary>
    public string? NodeId { get; set; }

    /// <summary>Run the background workers (deadline sweep, outbox dispatcher, rollups) on this silo.</summary>
    public bool Workers { get; set; } = true;

    /// <summary>API key created (hashed) at start-up with the Administrator role when set.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Name of the business created on first start.</summary>
    public string BusinessName { get; set; } = "Default business";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan OutboxLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Concurrent group-commit writers for inbound webhooks, and the most updates one transaction takes.</summary>
    public int IngestWriters { get; set; } = 2;
    public int IngestMaxBatch { get; set; } = 2000;

    /// <summary>A contact whose first message is younger than this is a new customer: at most <see cref="NewCustomerSendsPerMinute"/> messages a minute.</summary>
    public TimeSpan NewCustomerAge { get; set; } = TimeSpan.FromHours(24);
    public int NewCustomerSendsPerMinute { get; set; } = 5;

    /// <summary>The provider's pair limit per recipient (WhatsApp: about one message every 6 s, bursts borrowed): sends per <see cref="PairWindow"/>.</summary>
    public int PairLimit { get; set; } = 10;
    public TimeSpan PairWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a provider call may take before it counts as failed (and is retried).</summary>
    public TimeSpan ProviderTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Seed for the bot's choice among reply variants (unset: a shared random source).</summary>
    public int? BotSeed { get; set; }

    /// <summary>Prices for the usage ledger.</summary>
    public Engine.Grains.Messaging.PricingPlan Pricing { get; set; } = new();

    /// <summary>How long a node keeps channel settings before reading them again (disabling a channel takes effect within this).</summary>
    public TimeSpan ChannelCacheTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Reports over more conversations than this answer from the hourly rollups; smaller ones are computed exactly from the conversations.</summary>
    public int ReportExactLimit { get; set; } = 20_000;

    /// <summary>How often a node with live-stream listeners reads new events.</summary>
    public TimeSpan LivePollInterval { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>An Administrator user (email and password) created at start-up when missing, for the first log-in to the web app.</summary>
    public string? BootstrapAdminEmail { get; set; }

    public string? BootstrapAdminPassword { get; set; }

    /// <summary>A WeChat callback whose timestamp is further than this from now is refused; its nonce is remembered
    /// this long.</summary>
    public TimeSpan WeChatTimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The id under which this node claims leases.</summary>
public sealed record NodeIdentity(string Id)
{
    public static NodeIdentity Create(string? configured) =>
        new(configured ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
}
