using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class UsageApiTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task The_month_report_counts_and_prices_sends_and_the_free_tier_boundary_holds()
    {
        var month = f.Clock.GetUtcNow().ToString("yyyy-MM");
        const string us = "14155550123", id = "6281299990000";
        var usConversation = await f.CustomerWritesAsync(us);
        var idConversation = await f.CustomerWritesAsync(id);
        // 999 business-initiated messages already this month: the next is the 1,000th (free), then the 1,001st (billed).
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        await f.Db.ExecAsync("insert into usage_counters (business_id, month, business_initiated) values (@b, date_trunc('month', @now::timestamptz at time zone 'UTC')::date, 999)",
            ("b", business), ("now", f.Clock.GetUtcNow()));

        await f.SendAsync(usConversation, new { type = "text", text = "service reply, free" });
        await f.SendAsync(usConversation, new { type = "template", template = new { name = "promo", language = "en_US" } });
        await f.SendAsync(idConversation, new { type = "template", template = new { name = "promo", language = "id" } });
        await f.DrainAsync();

        var report = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/usage?month={month}");
        var totals = report.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("messages").GetInt32());
        Assert.Equal(2, totals.GetProperty("businessInitiated").GetInt32());
        Assert.Equal(1, totals.GetProperty("freeTier").GetInt32());
        // One of the two templates is the free 1,000th; the other is billed at its region's price.
        var cost = totals.GetProperty("cost").GetDecimal();
        Assert.Contains(cost, new[] { 0.005m, 0.008m });
        Assert.Equal(cost, await f.Db.ScalarAsync<decimal>("select sum(price) from usage_ledger where not free_tier"));
        Assert.Equal(2, report.GetProperty("byCategory").GetArrayLength());
        Assert.Equal(1, report.GetProperty("byDay").GetArrayLength());
        Assert.Equal("daily run-rate", report.GetProperty("forecast").GetProperty("basis").GetString());
        Assert.Equal("USD", report.GetProperty("currency").GetString());
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("March")]
    public async Task A_bad_month_is_a_validation_problem(string month)
    {
        var r = await f.Admin.GetAsync($"/api/v1/usage?month={month}");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("month", await r.Content.ReadAsStringAsync());
    }
}
