using Engine.Grains.Interfaces.Messaging;

namespace Engine.Grains.Messaging;

public sealed class PriceRegion
{
    public string Name { get; set; } = "";
    public decimal Price { get; set; }
    public List<string> CountryCodes { get; set; } = [];
}

/// <summary>Prices and regions (configuration "Engine:Pricing"). Amounts are decimals in USD.</summary>
public sealed class PricingPlan
{
    public int FreePerMonth { get; set; } = 1000;
    public decimal OutOfWindowSurcharge { get; set; } = 0.01m;
    public string DefaultRegion { get; set; } = "europe_americas";
    public decimal DefaultPrice { get; set; } = 0.008m;
    public List<PriceRegion> Regions { get; set; } =
    [
        new() { Name = "southeast_asia", Price = 0.005m, CountryCodes = ["60", "62", "63", "65", "66", "84", "95", "673", "670", "855", "856"] },
        new() { Name = "europe_americas", Price = 0.008m, CountryCodes = [
            "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
            "51", "52", "53", "54", "55", "56", "57", "58", "351", "352", "353", "354", "355", "356", "357", "358", "359",
            "370", "371", "372", "380", "381", "385", "386", "420", "421", "591", "593", "595", "598"] },
    ];
}

public sealed record Priced(string? CountryCode, string Region, bool FreeTier, decimal Price, decimal Surcharge)
{
    public decimal Total => Price + Surcharge;
}

/// <summary>
/// The usage ledger's rule. Service replies inside the window are free. Business-initiated messages
/// (templates, and anything sent outside the window) are free up to the monthly allowance, then
/// priced by the recipient's country calling code; every message sent outside the window adds the
/// surcharge.
/// </summary>
public static class UsagePricing
{
    /// <param name="ordinal">This message's number among the business's business-initiated messages this month (1-based).</param>
    public static Priced Price(PricingPlan plan, string category, bool outOfWindow, int ordinal, string? recipientPhone)
    {
        var (code, region, regionPrice) = Region(plan, recipientPhone);
        var surcharge = outOfWindow ? plan.OutOfWindowSurcharge : 0m;
        if (category != MessageCategories.BusinessInitiated) return new(code, region, false, 0m, surcharge);
        var free = ordinal <= plan.FreePerMonth;
        return new(code, region, free, free ? 0m : regionPrice, surcharge);
    }

    /// <summary>Longest configured calling-code prefix of an E.164 number (digits, optional '+').</summary>
    public static (string? Code, string Region, decimal Price) Region(PricingPlan plan, string? phone)
    {
        var digits = new string((phone ?? "").Where(char.IsAsciiDigit).ToArray());
        var best = plan.Regions
            .SelectMany(r => r.CountryCodes.Select(c => (Code: c, Region: r)))
            .Where(x => digits.Length > x.Code.Length && digits.StartsWith(x.Code, StringComparison.Ordinal))
            .OrderByDescending(x => x.Code.Length)
            .FirstOrDefault();
        return best.Region is null ? (null, plan.DefaultRegion, plan.DefaultPrice) : (best.Code, best.Region.Name, best.Region.Price);
    }
}
