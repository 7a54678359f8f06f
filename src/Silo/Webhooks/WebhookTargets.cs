using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Engine.Silo.Webhooks;

/// <summary>A webhook target the engine will not call: loopback, private, link-local or otherwise internal.</summary>
public sealed class BlockedTargetException(string host)
    : HttpRequestException($"{host} is not an allowed webhook target.");

/// <summary>
/// Where outbound webhooks may go. Loopback, private (RFC 1918, unique-local), link-local (cloud metadata),
/// carrier-grade
/// NAT, multicast and unspecified addresses are refused unless an administrator allows their network with
/// <c>Engine:Security:AllowedWebhookNetworks</c> (CIDR ranges, comma-separated). The check runs on the addresses the
/// connection is actually made to (after DNS), so a name that resolves to an internal address is refused too.
/// </summary>
public sealed class WebhookTargets
{
    private static readonly IPNetwork[] Internal = new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    }.Select(IPNetwork.Parse).ToArray();

    private readonly IPNetwork[] _allowed;

    public WebhookTargets(IConfiguration configuration) =>
        _allowed = (configuration["Engine:Security:AllowedWebhookNetworks"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(IPNetwork.Parse).ToArray();

    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return _allowed.Any(n => n.Contains(address)) || !Internal.Any(n => n.Contains(address));
    }

    /// <summary>Why a URL typed by an administrator cannot be a target (an internal address written literally), or
    /// null.</summary>
    public string? Problem(Uri url)
    {
        var host = url.IdnHost.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            host = "127.0.0.1";
        return IPAddress.TryParse(host, out var ip) && !IsAllowed(ip)
            ? "Loopback, private and link-local addresses are not allowed as webhook targets "
              + "(an operator can allow a network: Engine:Security:AllowedWebhookNetworks)."
            : null;
    }

    /// <summary>The webhook client's connection: resolve, drop the addresses that are not allowed, connect to the
    /// first that answers.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0) throw new BlockedTargetException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
