using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Engine.Silo.Hosting;

/// <summary>
/// The Orleans configuration every host shares: membership and reminders in the engine's PostgreSQL
/// (Orleans' own ADO.NET tables, created by the migrations), endpoints from <see cref="EngineCluster"/>.
/// </summary>
public static class OrleansHosting
{
    private const string Invariant = "Npgsql";

    /// <summary>Co-hosts a silo (modes node and silo) or joins as a client (mode client).</summary>
    public static IHostApplicationBuilder AddEngineCluster(this IHostApplicationBuilder builder)
    {
        var cluster = EngineCluster.Read(builder.Configuration);
        var connectionString = ConnectionString(builder.Configuration);
        if (cluster.HostsSilo) builder.UseOrleans(silo => silo.AddEngineSilo(cluster, connectionString));
        else builder.UseOrleansClient(client => client.AddEngineClient(cluster, connectionString));
        builder.Services.AddSingleton(cluster);
        return builder;
    }

    public static ISiloBuilder AddEngineSilo(this ISiloBuilder silo, EngineCluster cluster, string connectionString)
    {
        silo.Configure<ClusterOptions>(cluster.Name);
        silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort,
            listenOnAnyHostAddress: true);
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddActivityPropagation();   // a traced call's context follows it through grain calls
        silo.AddDashboard();             // every silo collects what /dashboard shows (Administrators only)
        // The silo carries the node's name (Engine:NodeId), so operators recognise it in GET /api/v1/nodes.
        silo.Services.AddOptions<SiloOptions>().Configure<NodeIdentity>((o, node) => o.SiloName = node.Id);
        return silo;
    }

    public static IClientBuilder AddEngineClient(this IClientBuilder client, EngineCluster cluster,
        string connectionString)
    {
        client.Configure<ClusterOptions>(cluster.Name);
        client.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        client.AddActivityPropagation();
        client.AddDashboard();   // an API-only node serves /dashboard from the silos' figures
        return client;
    }

    public static string ConnectionString(IConfiguration config) => config.GetConnectionString("Postgres")
        ?? throw new InvalidOperationException(
            "ConnectionStrings:Postgres is not set (environment ConnectionStrings__Postgres).");
}
