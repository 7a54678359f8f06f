using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary><c>withBot=true</c>: the conversations the bot is handling — it answered, and no team or person holds
/// them — the supervisor's "with the bot" view.</summary>
public class BotViewTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<Guid> WritesAsync(string phone, string text)
    {
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text))).EnsureSuccessStatusCode();
        await f.DrainAsync();
        return await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    private async Task<Guid[]> WithBotAsync() =>
        [.. (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/conversations?withBot=true&limit=200")).GetProperty("items")
            .EnumerateArray().Select(c => c.GetProperty("id").GetGuid())];

    [Fact]
    public async Task The_bot_view_holds_what_the_bot_answered_until_a_team_or_person_takes_it()
    {
        (await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new
        {
            name = "Opening hours", trigger = "keyword", keywords = new[] { "opening hours" }, variants = new[] { "We open at 9." },
        })).EnsureSuccessStatusCode();
        var answered = await WritesAsync("66933000001", "what are your opening hours?");
        var unanswered = await WritesAsync("66933000002", "my parcel is broken");
        Assert.Contains(answered, await WithBotAsync());
        Assert.DoesNotContain(unanswered, await WithBotAsync());

        var (agent, _) = await TeamFixture.AgentAsync(f, "Bo Botview", online: false);
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{answered}/assign", new { agentId = agent })).EnsureSuccessStatusCode();
        Assert.DoesNotContain(answered, await WithBotAsync());
    }
}
