using Engine.Grains.Interfaces.Messaging;
using Engine.Grains.Messaging;
using Engine.Silo.Usage;

namespace Engine.Tests.Grains.Messaging;

public class LimitsAndPricingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_sixth_message_within_a_minute_waits_until_the_first_leaves_the_window()
    {
        var sends = Enumerable.Range(0, 5).Select(i => T0.AddSeconds(i)).ToList();
        Assert.Null(SendLimits.WaitUntil(sends.Take(4), 5, TimeSpan.FromMinutes(1), T0.AddSeconds(5)));
        Assert.Equal(T0.AddMinutes(1), SendLimits.WaitUntil(sends, 5, TimeSpan.FromMinutes(1), T0.AddSeconds(5)));
        Assert.Null(SendLimits.WaitUntil(sends, 5, TimeSpan.FromMinutes(1), T0.AddMinutes(1)));
    }

    [Fact]
    public void The_later_wait_wins() =>
        Assert.Equal(T0.AddSeconds(9), SendLimits.Latest(null, T0.AddSeconds(3), T0.AddSeconds(9)));

    private static readonly PricingPlan Plan = new();

    [Theory]
    [InlineData(1, true, 0.0)]
    [InlineData(1000, true, 0.0)]
    [InlineData(1001, false, 0.008)]
    public void The_free_tier_covers_the_first_thousand_business_initiated_messages(int ordinal, bool free, double price)
    {
        var p = UsagePricing.Price(Plan, MessageCategories.BusinessInitiated, false, ordinal, "14155550100");
        Assert.Equal(free, p.FreeTier);
        Assert.Equal((decimal)price, p.Price);
    }

    [Theory]
    [InlineData("6281234567890", "southeast_asia", 0.005)]   // Indonesia
    [InlineData("+66812345678", "southeast_asia", 0.005)]    // Thailand
    [InlineData("8551234567", "southeast_asia", 0.005)]      // Cambodia: 855, not 85
    [InlineData("14155550100", "europe_americas", 0.008)]    // US
    [InlineData("5511987654321", "europe_americas", 0.008)]  // Brazil
    [InlineData("447700900123", "europe_americas", 0.008)]   // UK
    public void The_region_comes_from_the_recipients_calling_code(string phone, string region, double price)
    {
        var p = UsagePricing.Price(Plan, MessageCategories.BusinessInitiated, false, 5000, phone);
        Assert.Equal(region, p.Region);
        Assert.Equal((decimal)price, p.Price);
    }

    [Fact]
    public void Out_of_window_adds_the_surcharge_even_inside_the_free_tier_and_service_replies_are_free()
    {
        Assert.Equal(0.01m, UsagePricing.Price(Plan, MessageCategories.BusinessInitiated, true, 3, "6281234567890").Total);
        Assert.Equal(0.015m, UsagePricing.Price(Plan, MessageCategories.BusinessInitiated, true, 2000, "6281234567890").Total);
        Assert.Equal(0m, UsagePricing.Price(Plan, MessageCategories.Service, false, 0, "6281234567890").Total);
    }

    [Fact]
    public void The_forecast_extrapolates_the_daily_run_rate()
    {
        var march = new DateOnly(2026, 3, 1);
        var f = UsageLedger.Forecast(10m, march, new DateOnly(2026, 3, 10));
        Assert.Equal(31m, f.Cost);   // 10 / 10 days × 31
        Assert.Equal(10, f.DaysElapsed);
        Assert.Equal(7.5m, UsageLedger.Forecast(7.5m, march, new DateOnly(2026, 4, 2)).Cost); // a finished month is its actual cost
    }
}
