using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Engine.Silo.Hosting;

/// <summary>How a process takes part in the cluster (<c>Engine:Cluster:Mode</c>).</summary>
public enum ClusterMode
{
    /// <summary>API and silo in one process (the default).</summary>
    Node,
    /// <summary>A silo only: grains, reminders and workers; health, no public API.</summary>
    Silo,
    /// <summary>The public API only, joining the cluster as an Orleans client through the membership table.</summary>
    Client,
}

/// <summary>Configuration section <c>Engine:Cluster</c>: two nodes on one machine differ only in their ports.</summary>
public sealed class EngineCluster
{
    public const string Section = "Engine:Cluster";

    /// <summary>Names this deployment in Orleans' membership table; silos and clients with one id form one
    /// cluster.</summary>
    public string ClusterId { get; set; } = "engine";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port where clients (API-only nodes) reach this silo.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients use to reach this one (a container's own address in a
    /// deployment).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    public ClusterMode Mode { get; set; } = ClusterMode.Node;

    /// <summary>Stable across deployments: reminders are stored under it.</summary>
    public const string ServiceId = "conversation-engine";

    public static EngineCluster Read(IConfiguration config)
    {
        var cluster = new EngineCluster();
        config.GetSection(Section).Bind(cluster);
        if (!IPAddress.TryParse(cluster.AdvertisedAddress, out _))
            cluster.AdvertisedAddress = Resolve(cluster.AdvertisedAddress);
        return cluster;
    }

    public bool HostsSilo => Mode != ClusterMode.Client;

    /// <summary>Names the cluster for a silo or a client: both must agree on these to find each other.</summary>
    public void Name(Orleans.Configuration.ClusterOptions options)
    {
        options.ClusterId = ClusterId;
        options.ServiceId = ServiceId;
    }

    private static bool IsIPv4(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>A name (a container's service name) advertised as its IPv4 address, resolved once at start.</summary>
    private static string Resolve(string name)
    {
        IPAddress? resolved = null;
        try { resolved = Dns.GetHostAddresses(name).FirstOrDefault(IsIPv4); }
        catch (SocketException) { }
        return resolved?.ToString()
            ?? throw new InvalidOperationException(
                $"{Section}:AdvertisedAddress '{name}' is neither an IP address nor a resolvable name.");
    }
}
