using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Grains.Automation;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>A routing or auto-label pattern that runs out of time never fails a delivery: no match, recorded, the
/// rule flagged.</summary>
public class RulePatternTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private const string Catastrophic = "^(a+)+$";

    [Theory]
    [InlineData(Catastrophic)]
    [InlineData("(x+x+)+y")]
    [InlineData("^(\\w+\\s?)*$")]
    public async Task A_pattern_that_backtracks_without_bound_is_refused_on_save(string pattern)
    {
        Assert.NotNull(RulePattern.Problem(pattern));
        var team = await TeamFixture.TeamAsync(f, $"Team {Guid.NewGuid():N}", "manual", []);
        var label = await LabelAsync($"L{Guid.NewGuid():N}"[..12]);
        foreach (var (route, body) in new (string, object)[]
        {
            ("/api/v1/routing-rules", new { teamId = team, pattern }),
            ("/api/v1/label-rules", new { labelId = label, pattern }),
        })
        {
            var r = await f.Admin.PostAsJsonAsync(route, body);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.True(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("pattern", out _));
        }
    }

    [Fact]
    public void Ordinary_patterns_pass_the_probes() =>
        Assert.All(new[] { @"\b[A-Z]{2}\d{9}[A-Z]{2}\b", @"order\s*#?\d{4,}", "(?i)refund|return" }, p => Assert.Null(RulePattern.Problem(p)));

    [Fact]
    public async Task A_rule_whose_pattern_times_out_matches_nothing_and_is_flagged_while_the_delivery_is_stored()
    {
        // A rule saved before patterns were checked (or one that is slow only on some input) is still in the database.
        var team = await TeamFixture.TeamAsync(f, "Slow rule desk", "manual", []);
        var label = await LabelAsync("Slow");
        var business = await f.Db.ScalarAsync<Guid>("select business_id from teams where id = @t", ("t", team));
        var routing = Guid.NewGuid();
        var labelling = Guid.NewGuid();
        await f.Db.ExecAsync("""
            insert into routing_rules (id, business_id, team_id, keywords, pattern, labels, priority, created_at, updated_at)
            values (@id, @b, @t, '{}', @p, '{}', 100, now(), now())
            """, ("id", routing), ("b", business), ("t", team), ("p", Catastrophic));
        await f.Db.ExecAsync("""
            insert into label_rules (id, business_id, label_id, keywords, pattern, created_at, updated_at) values (@id, @b, @l, '{}', @p, now(), now())
            """, ("id", labelling), ("b", business), ("l", label), ("p", Catastrophic));

        var phone = "66950000001";
        var text = new string('a', 40) + "!";
        var r = await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var conversation = await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        var view = await TeamFixture.ConversationAsync(f, conversation);
        Assert.Empty(view.GetProperty("labels").EnumerateArray());
        Assert.NotEqual(team.ToString(), view.GetProperty("teamId").ToString());

        var rules = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/routing-rules");
        var flagged = Assert.Single(rules.EnumerateArray(), x => x.GetProperty("id").GetGuid() == routing);
        Assert.True(flagged.GetProperty("flagged").GetBoolean());
        Assert.Equal(1, flagged.GetProperty("patternTimeouts").GetInt32());
        var labelRules = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/label-rules");
        Assert.True(Assert.Single(labelRules.EnumerateArray(), x => x.GetProperty("id").GetGuid() == labelling).GetProperty("flagged").GetBoolean());
        await f.Db.ExecAsync("delete from routing_rules where id = @id", ("id", routing));
        await f.Db.ExecAsync("delete from label_rules where id = @id", ("id", labelling));
    }

    private async Task<Guid> LabelAsync(string name)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("label").GetProperty("id").GetGuid();
    }
}
