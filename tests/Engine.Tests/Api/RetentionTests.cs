using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>A business that keeps message bodies N days has older ones removed by its daily check (on a fake clock);
/// by default nothing is removed.</summary>
public class RetentionTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task WritesAsync(string phone, string text)
    {
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text))).EnsureSuccessStatusCode();
        await f.DrainAsync();
    }

    private Task<long> BodiesAsync(string text) => f.Db.CountAsync("from messages where text = @t", ("t", text));

    [Fact]
    public async Task Bodies_older_than_the_retention_are_removed_by_the_daily_check_and_newer_ones_kept()
    {
        var phone = "5511988" + Random.Shared.NextInt64(100_000, 999_999);
        await WritesAsync(phone, "an old secret");
        f.Clock.Advance(TimeSpan.FromDays(3));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal(1, await BodiesAsync("an old secret"));   // default: kept

        var bad = await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { messageRetentionDays = 5000 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("messageRetentionDays", await bad.Content.ReadAsStringAsync());
        var set = await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { messageRetentionDays = 30 });
        Assert.Equal(30, (await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messageRetentionDays").GetInt32());

        f.Clock.Advance(TimeSpan.FromDays(28));   // the old message is 31 days old
        await WritesAsync(phone, "a recent question");
        f.Clock.Advance(TimeSpan.FromDays(1));
        await TeamFixture.RunTimersAsync(f);

        Assert.Equal(0, await BodiesAsync("an old secret"));
        Assert.Equal(1, await BodiesAsync("a recent question"));
        Assert.Equal(2, await f.Db.CountAsync(
            "from messages m join contacts c on c.id = m.contact_id where c.external_id = @p and m.direction = 'in'",
            ("p", phone)));   // the message stays, counted, without its body
        Assert.Equal(1, await f.Db.CountAsync(
            "from messages where erased_at is not null and direction = 'in' and content = '{\"erased\": true}'::jsonb"));
        Assert.Equal(1, await f.Db.CountAsync("from audit_log where action = 'messages.retention_applied'"));

        var kept = await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { messageRetentionDays = 0 });
        Assert.Equal(JsonValueKind.Null,
            (await kept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messageRetentionDays").ValueKind);
        f.Clock.Advance(TimeSpan.FromDays(40));
        await TeamFixture.RunTimersAsync(f);
        Assert.Equal(1, await BodiesAsync("a recent question"));   // back to keeping
    }
}
