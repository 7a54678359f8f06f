using Engine.Grains.Interfaces;
using Engine.Grains.Interfaces.Customers;
using Microsoft.Extensions.Logging;

namespace Engine.Silo.Ingestion;

/// <summary>
/// The automated-message reservations one ingest transaction holds with the customer grains (one per merged customer
/// that gets a bot turn). Settled after the transaction ends, committed or not; settling before each retry frees what
/// a failed attempt held.
/// </summary>
public sealed class AutomatedLedger(IGrainFactory grains, ILogger log)
{
    private readonly List<(Guid Customer, Guid Lease)> _leases = [];

    /// <summary>How many automated messages count as already spent for this customer's turn (the cap minus its
    /// share).</summary>
    public async Task<int> SpentAsync(Guid customer)
    {
        var allowance = await Customer(customer).ReserveAutomated();
        lock (_leases) _leases.Add((customer, allowance.Lease));
        return allowance.Spent;
    }

    private ICustomerGrain Customer(Guid id) => grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(id));

    public async Task SettleAsync()
    {
        List<(Guid Customer, Guid Lease)> held;
        lock (_leases)
        {
            held = [.. _leases];
            _leases.Clear();
        }
        try { await Task.WhenAll(held.Select(l => Customer(l.Customer).SettleAutomated(l.Lease))); }
        catch (Exception e)
        {
            log.LogWarning(e, "Settling automated-message reservations failed; they lapse by themselves.");
        }
    }
}
