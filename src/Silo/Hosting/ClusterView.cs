using Orleans.Runtime;

namespace Engine.Silo.Hosting;

/// <summary>One silo as Orleans' membership table records it.</summary>
public sealed record SiloInfo(
    string Address, string Status, string Name, string Host, DateTime StartedAt, DateTime IAmAliveAt, int? Activations);

/// <summary>The Orleans cluster as its membership and management grain report it (for operators).</summary>
public sealed class ClusterView(IGrainFactory grains)
{
    public async Task<IReadOnlyList<SiloInfo>> SilosAsync()
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: false);
        var active = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloAddress).ToArray();
        var stats = active.Length == 0 ? [] : await management.GetRuntimeStatistics(active);
        var activations = active.Zip(stats).ToDictionary(p => p.First, p => p.Second.ActivationCount);
        return hosts
            .OrderBy(h => h.Status == SiloStatus.Active ? 0 : 1).ThenByDescending(h => h.StartTime)
            .Select(h => new SiloInfo(h.SiloAddress.ToParsableString(), h.Status.ToString(), h.SiloName, h.HostName,
                h.StartTime, h.IAmAliveTime, activations.TryGetValue(h.SiloAddress, out var n) ? n : null))
            .ToList();
    }
}
