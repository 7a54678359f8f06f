using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class LabelTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<Guid> LabelAsync(string name, Guid? parent = null)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name, parentId = parent });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("label").GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Two_levels_auto_labels_by_hand_usage_and_retirement_flags()
    {
        var afterSales = await LabelAsync("After-sales");
        var sevenDay = await LabelAsync("7-day return", afterSales);
        var third = await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = "too deep", parentId = sevenDay });
        Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
        var logistics = await LabelAsync("Logistics");
        (await f.Admin.PostAsJsonAsync("/api/v1/label-rules", new { labelId = logistics, pattern = @"\b[A-Z]{2}\d{9}[A-Z]{2}\b" })).EnsureSuccessStatusCode();
        var team = await TeamFixture.TeamAsync(f, "Logistics desk", "manual", []);
        (await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = team, labels = new[] { "Logistics" } })).EnsureSuccessStatusCode();

        for (var i = 0; i < 25; i++)
            await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery($"66930000{i:000}", Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(),
                i == 0 ? "parcel RR123456789TH is late" : "hello"));
        var tracked = await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = '66930000000'");
        var conversation = await TeamFixture.ConversationAsync(f, tracked);
        Assert.Equal(["Logistics"], conversation.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(team, conversation.GetProperty("teamId").GetGuid());     // routed by its label

        var other = await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = '66930000001'");
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{other}/labels", new { labelId = sevenDay })).StatusCode);
        var filtered = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?label={Uri.EscapeDataString("After-sales/7-day return")}");
        Assert.Equal(other, Assert.Single(filtered.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());

        var usage = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/labels/usage");
        Assert.Equal(25, usage.GetProperty("conversations").GetInt32());
        var byPath = usage.GetProperty("labels").EnumerateArray().ToDictionary(l => l.GetProperty("path").GetString()!);
        Assert.Equal(1, byPath["Logistics"].GetProperty("conversations").GetInt32());
        Assert.True(byPath["Logistics"].GetProperty("flaggedForRetirement").GetBoolean());   // 1 of 25 = 4% < 5%
        var csv = (await f.Admin.GetStringAsync("/api/v1/labels/usage?format=csv")).TrimEnd().Split('\n');
        Assert.Equal("labelId,path,conversations,share,flaggedForRetirement", csv[0]);
        Assert.Contains(csv, l => l.Contains(",Logistics,1,0.04,true"));
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.DeleteAsync($"/api/v1/conversations/{other}/labels/{sevenDay}")).StatusCode);
        Assert.Empty((await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?label={Uri.EscapeDataString("After-sales/7-day return")}")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task More_than_20_labels_draw_a_warning()
    {
        JsonElement last = default;
        for (var i = 0; i < 21; i++)
            last = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = $"Topic {i}" })).Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("more than 20", last.GetProperty("warning").GetString());
    }
}

/// <summary>Labels by hand go through the conversation's grain (a class of its own: the usage report above counts
/// every conversation).</summary>
public class LabelCommandTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task A_label_of_no_such_kind_or_on_no_such_conversation_is_404_and_changes_nothing()
    {
        var conversation = await f.CustomerWritesAsync("66931000001");
        var created = await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = "Real" });
        var label = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("label").GetProperty("id").GetGuid();
        var unknown = await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/labels", new { labelId = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{Guid.NewGuid()}/labels", new { labelId = label })).StatusCode);
        Assert.Equal(0, await f.Db.CountAsync("from conversation_labels where conversation_id = @c", ("c", conversation)));
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/labels", new { labelId = label })).StatusCode);
        Assert.Equal(1, await f.Db.CountAsync("from conversation_labels where conversation_id = @c", ("c", conversation)));
    }
}
