using Engine.Silo.Access;
using Engine.Silo.Assignment;
using Engine.Silo.Audit;
using Engine.Silo.Channels;
using Engine.Silo.Conversations;
using Engine.Silo.Ingestion;
using Engine.Silo.Hosting;
using Engine.Silo.Outbound;
using Engine.Silo.Team;
using Engine.Silo.Usage;
using Engine.Silo.Queries;
using Engine.Silo.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Engine.Silo;

public static class SiloServices
{
    /// <summary>Registers the store on PostgreSQL (ConnectionStrings:Postgres), the grains' ports and the node's
    /// workers.</summary>
    public static IServiceCollection AddSilo(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<EngineOptions>(config.GetSection("Engine"));
        services.AddMetrics();
        services.AddSingleton<EngineMetrics>();
        var connectionString = OrleansHosting.ConnectionString(config);
        // Connections carry the node's name (pg_stat_activity).
        var node = NodeIdentity.Create(config["Engine:NodeId"]);
        var named = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(named.ApplicationName)) named.ApplicationName = node.Id;
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(named.ConnectionString).Build());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(node);
        services.AddSingleton<Transactions>();
        services.AddSingleton<Engine.Grains.Deadlines.IConversationDeadlines, ConversationDeadlineStore>();
        services.AddSingleton<Engine.Grains.Deadlines.IBusinessDeadlines, BusinessDeadlineStore>();
        services.AddSingleton<DeadlineSweep>();
        services.AddSingleton<Alerts.Alerts>();
        services.AddSingleton<Notifications.NotificationStore>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<ClusterView>();
        services.AddSingleton<ChannelStore>();
        services.AddSingleton<AccessStore>();
        services.AddSingleton<LoginThrottle>();
        SecretBox.AddSecretBox(services);
        services.AddSingleton<ConversationQueries>();
        services.AddSingleton<IngestPipeline>();
        services.AddSingleton<InboundRouter>();
        services.AddSingleton<Engine.Grains.Customers.IInboundPort, InboundPort>();
        services.AddSingleton<ReplayGuard>();
        var providerTimeout = config.GetValue<TimeSpan?>("Engine:ProviderTimeout") ?? TimeSpan.FromSeconds(20);
        // Every provider call names the engine and the node that made it (the providers' support logs show it).
        services.AddHttpClient("providers", c =>
        {
            c.Timeout = providerTimeout;
            c.DefaultRequestHeaders.UserAgent.ParseAdd($"conversation-engine/1.0 (node {node.Id})");
        });
        services.AddSingleton<OutboundService>();
        services.AddSingleton<WhatsAppClient>();
        services.AddSingleton<WeChatClient>();
        services.AddSingleton<Engine.Grains.Channels.IAccessTokenSource, WeChatTokenSource>();
        services.AddSingleton<UsageLedger>();
        services.AddSingleton<RecipientHistory>();
        services.AddSingleton<Engine.Grains.Customers.IRecipientHistory>(sp => sp.GetRequiredService<RecipientHistory>());
        services.AddSingleton<Engine.Grains.Customers.IAutomatedHistory>(sp => sp.GetRequiredService<RecipientHistory>());
        services.AddSingleton<AttachmentUploads>();
        services.AddSingleton<Engine.Silo.Media.Attachments>();
        services.AddSingleton<IOutboxHandler, SendHandler>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<Engine.Grains.Agents.IAgentActivity>(sp => sp.GetRequiredService<UserStore>());
        services.AddSingleton<Engine.Grains.Agents.IAgentLoadStore>(sp => sp.GetRequiredService<UserStore>());
        services.AddSingleton<TeamStore>();
        services.AddSingleton<BusinessSettingsStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AssignmentService>();
        services.AddSingleton<TeamClaims>();
        services.AddSingleton<TeamQueues>();
        services.AddSingleton<Engine.Grains.Teams.ITeamQueueStore, TeamQueueStore>();
        services.AddSingleton<ConversationCommands>();
        services.AddSingleton<ConversationDesk>();
        services.AddSingleton<Engine.Silo.Contacts.CustomerDesk>();
        services.AddSingleton<Engine.Grains.Customers.ICustomerProfilePort, Engine.Silo.Contacts.CustomerProfilePort>();
        services.AddSingleton<Engine.Grains.Deadlines.IConversationCommandPort, ConversationCommandPort>();
        services.AddSingleton<Engine.Silo.Contacts.ContactStore>();
        services.AddSingleton<Engine.Silo.Contacts.Erasure>();
        services.AddSingleton<Engine.Silo.Contacts.CrmEvents>();
        services.AddSingleton<IOutboxHandler, Engine.Silo.Contacts.ContactMatchHandler>();
        services.AddSingleton<IOutboxHandler, Engine.Silo.Contacts.WeChatProfiles>();
        services.AddSingleton<Engine.Silo.Media.IMediaStore, Engine.Silo.Media.DirectoryMediaStore>();
        services.AddSingleton<IOutboxHandler, Engine.Silo.Media.MediaFetcher>();
        services.AddSingleton<IOutboxHandler, Engine.Silo.Outbound.ReadReceipts>();
        services.AddSingleton<Engine.Silo.Channels.TemplateCatalog>();
        services.AddSingleton<IOutboxHandler, Engine.Silo.Channels.TemplateSyncs>();
        services.AddSingleton<Engine.Silo.Webhooks.WebhookStore>();
        services.AddSingleton<Engine.Silo.Automation.AutomationStore>();
        services.AddSingleton<Engine.Silo.Automation.Labels>();
        services.AddSingleton<Engine.Silo.Automation.MatchRate>();
        services.AddSingleton<Engine.Silo.Automation.BotFlows>();
        services.AddSingleton<Engine.Silo.Automation.QuickReplies>();
        services.AddSingleton<Engine.Silo.Automation.Csat>();
        services.AddSingleton<Engine.Silo.Reports.ConversationReport>();
        services.AddSingleton<Engine.Silo.Reports.ConversationExport>();
        services.AddSingleton<Engine.Silo.Reports.TeamReports>();
        services.AddSingleton<Engine.Silo.Reports.Rollups>();
        services.AddSingleton<Engine.Silo.Reports.Trends>();
        services.AddSingleton<IOutboxHandler>(sp => sp.GetRequiredService<Engine.Silo.Automation.Csat>());
        services.AddSingleton<IOutboxHandler, Engine.Silo.Webhooks.WebhookDelivery>();
        var webhookTimeout = config.GetValue<TimeSpan?>("Engine:WebhookTimeout") ?? TimeSpan.FromSeconds(10);
        services.AddSingleton<Engine.Silo.Webhooks.WebhookTargets>();
        // Every connection of the webhook client goes through the target check (after DNS, so no name can point
        // inside).
        services.AddHttpClient("webhooks", c => c.Timeout = webhookTimeout)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<Engine.Silo.Webhooks.WebhookTargets>().ConnectAsync, AllowAutoRedirect = false,
            });
        services.AddSingleton<IOutboxHandler, OfferHandler>();
        services.AddSingleton<IOutboxHandler, DrainHandler>();
        services.AddSingleton<IOutboxHandler, ConversationFollowUpHandler>();
        services.AddSingleton<IOutboxHandler, CustomerServedHandler>();
        services.AddSingleton<IOutboxHandler, Notices>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        services.AddSingleton<Live.EventStream>();
        services.AddHostedService(sp => sp.GetRequiredService<Live.EventStream>());
        // Workers run where grains run: an API-only node (Engine:Cluster:Mode=client) leaves them to the silos.
        if (EngineCluster.Read(config).HostsSilo) services.AddHostedService<SiloWorkers>();
        return services;
    }
}
