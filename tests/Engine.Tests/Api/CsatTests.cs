using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class CsatTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task AnswerAsync(string phone, string listReplyId)
    {
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        var body = Wa.Envelope($"[{Wa.Contact(phone, "Ana Lima")}]", "[{\"from\":\"" + phone + "\",\"id\":\"" + Wa.NewId() + "\",\"timestamp\":\"" + ts
            + "\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"" + listReplyId + "\",\"title\":\"★\"}}}]");
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, body)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Resolving_asks_for_a_rating_the_answer_is_stored_without_reopening_and_a_low_one_tells_the_supervisor()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Cara Csat");
        var team = await TeamFixture.TeamAsync(f, "Csat", "least_open", [agent]);
        var scores = new[] { ("6695000001", "csat:5"), ("6695000002", "csat:4"), ("6695000003", "csat:2") };
        foreach (var (phone, answer) in scores)
        {
            var conversation = await f.CustomerWritesAsync(phone);
            (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "route" })).EnsureSuccessStatusCode();
            await f.DrainAsync();
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/conversations/{conversation}/resolve", null)).StatusCode);
            f.Clock.Advance(TimeSpan.FromMinutes(1));
            await f.DrainAsync();
            var request = JsonDocument.Parse(f.Provider.Sent.Last(s => s.Recipient == phone).Body).RootElement;
            Assert.Equal("list", request.GetProperty("interactive").GetProperty("type").GetString());
            Assert.Equal(5, request.GetProperty("interactive").GetProperty("action").GetProperty("sections")[0].GetProperty("rows").GetArrayLength());

            await AnswerAsync(phone, answer);
            Assert.Equal(0, await f.Db.CountAsync("from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone)));
            Assert.Equal(int.Parse(answer[5..]), await f.Db.ScalarAsync<int>("select rating from csat_requests where conversation_id = @c", ("c", conversation)));
        }
        var report = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/csat?agentId={agent}");
        Assert.Equal(3, report.GetProperty("answered").GetInt32());
        Assert.Equal(0.6667m, report.GetProperty("csat").GetDecimal());
        var notes = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/notifications");
        Assert.Single(notes.EnumerateArray(), n => n.GetProperty("kind").GetString() == "csat_low");
        Assert.Equal(3, await f.Db.CountAsync("from entity_events where type = 'csat.submitted'"));
    }
}
