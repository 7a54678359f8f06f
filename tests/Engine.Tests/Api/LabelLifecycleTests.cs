using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>A label's life after creation: renamed (its conversations, sub-labels, routing and reports follow),
/// retired (kept where it is, offered nowhere, applied by no rule), deleted only while unused.</summary>
public class LabelLifecycleTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<Guid> LabelAsync(string name, Guid? parent = null)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name, parentId = parent });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("label").GetProperty("id").GetGuid();
    }

    private async Task<Guid> WritesAsync(string phone, string text)
    {
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, Wa.NewId(), f.Clock.GetUtcNow().ToUnixTimeSeconds(), text))).EnsureSuccessStatusCode();
        return await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'", ("p", phone));
    }

    private async Task<string[]> LabelsOf(Guid conversation) =>
        [.. (await TeamFixture.ConversationAsync(f, conversation)).GetProperty("labels").EnumerateArray().Select(l => l.GetString()!)];

    private async Task<JsonElement> LabelView(Guid id) =>
        (await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/labels"))!.Single(l => l.GetProperty("id").GetGuid() == id);

    [Fact]
    public async Task Renaming_carries_the_conversations_sub_labels_routing_and_reports_along()
    {
        var parcels = await LabelAsync("Parcels");
        var late = await LabelAsync("Late", parcels);
        (await f.Admin.PostAsJsonAsync("/api/v1/label-rules", new { labelId = parcels, keywords = new[] { "tracking" } })).EnsureSuccessStatusCode();
        var team = await TeamFixture.TeamAsync(f, "Parcel desk", "manual", []);
        (await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = team, labels = new[] { "Parcels" } })).EnsureSuccessStatusCode();
        var tracked = await WritesAsync("66931000001", "my tracking number says lost");
        var other = await WritesAsync("66931000002", "hello");
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{other}/labels", new { labelId = late })).EnsureSuccessStatusCode();

        var taken = await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{late}", new { name = "Late" });
        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);   // the same name: nothing to do
        var r = await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{parcels}", new { name = "Shipping" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("Shipping", (await LabelView(parcels)).GetProperty("path").GetString());
        Assert.Equal("Shipping/Late", (await LabelView(late)).GetProperty("path").GetString());
        Assert.Equal(["Shipping"], await LabelsOf(tracked));
        Assert.Equal(["Shipping/Late"], await LabelsOf(other));
        var usage = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/labels/usage");
        var paths = usage.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("path").GetString()).ToList();
        Assert.Contains("Shipping", paths);
        Assert.DoesNotContain("Parcels", paths);
        // Routing still follows the label under its new name.
        var routed = await WritesAsync("66931000003", "tracking shows nothing");
        Assert.Equal(team, (await TeamFixture.ConversationAsync(f, routed)).GetProperty("teamId").GetGuid());

        var clash = await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{late}", new { name = "x/y" });
        Assert.Equal(HttpStatusCode.BadRequest, clash.StatusCode);
        var duplicate = await LabelAsync("Returns");
        var exists = await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{duplicate}", new { name = "Shipping" });
        Assert.Equal(HttpStatusCode.Conflict, exists.StatusCode);
        Assert.Equal("label_exists", (await exists.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_retired_label_stays_where_it_is_but_is_applied_no_more_and_only_unused_labels_are_deleted()
    {
        var vip = await LabelAsync("Complaint");
        var rule = await f.Admin.PostAsJsonAsync("/api/v1/label-rules", new { labelId = vip, keywords = new[] { "complaint" } });
        var ruleId = (await rule.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var before = await WritesAsync("66932000001", "I have a complaint");
        Assert.Equal(["Complaint"], await LabelsOf(before));

        var retired = await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{vip}", new { retired = true });
        Assert.True((await retired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("retired").GetBoolean());
        Assert.Equal(["Complaint"], await LabelsOf(before));   // history kept
        var after = await WritesAsync("66932000002", "another complaint");
        Assert.Empty(await LabelsOf(after));                     // its rule labels nothing
        var byHand = await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{after}/labels", new { labelId = vip });
        Assert.Equal(HttpStatusCode.Conflict, byHand.StatusCode);
        Assert.Equal("label_retired", (await byHand.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // In use: refused, with why; restored, it labels again.
        var inUse = await f.Admin.DeleteAsync($"/api/v1/labels/{vip}");
        Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        Assert.Contains("retire it instead", (await inUse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        (await f.Admin.PatchAsJsonAsync($"/api/v1/labels/{vip}", new { retired = false })).EnsureSuccessStatusCode();
        Assert.Equal(["Complaint"], await LabelsOf(await WritesAsync("66932000003", "complaint again")));

        // An unused label goes with its rule, and the answer says so; a rule alone can go too.
        var unused = await LabelAsync("Never used");
        (await f.Admin.PostAsJsonAsync("/api/v1/label-rules", new { labelId = unused, keywords = new[] { "zzqx" } })).EnsureSuccessStatusCode();
        var deleted = await f.Admin.DeleteAsync($"/api/v1/labels/{unused}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var what = await deleted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("Never used", 1), (what.GetProperty("path").GetString(), what.GetProperty("rules").GetInt32()));
        Assert.DoesNotContain((await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/labels"))!, l => l.GetProperty("id").GetGuid() == unused);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.DeleteAsync($"/api/v1/labels/{unused}")).StatusCode);
        // The rule's words change: the next message is labelled by the new ones.
        var changed = await f.Admin.PatchAsJsonAsync($"/api/v1/label-rules/{ruleId}", new { keywords = new[] { "grievance" } });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Empty(await LabelsOf(await WritesAsync("66932000005", "a complaint again")));
        Assert.Equal(["Complaint"], await LabelsOf(await WritesAsync("66932000006", "I file a grievance")));
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PatchAsJsonAsync($"/api/v1/label-rules/{ruleId}",
            new { pattern = "(unclosed" })).StatusCode);
        var emptied = await f.Admin.PatchAsJsonAsync($"/api/v1/label-rules/{ruleId}", new { keywords = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.Conflict, emptied.StatusCode);   // a rule with nothing to match
        var ruleGone = await f.Admin.DeleteAsync($"/api/v1/label-rules/{ruleId}");
        Assert.Equal(HttpStatusCode.OK, ruleGone.StatusCode);
        Assert.Empty(await LabelsOf(await WritesAsync("66932000004", "one more complaint")));
        Assert.Equal(5, await f.Db.CountAsync(   // retired, restored, deleted, rule changed, rule deleted
            "from audit_log where action in ('label.updated', 'label.deleted', 'label_rule.updated', 'label_rule.deleted') and entity_id = any(@ids)",
            ("ids", new[] { vip.ToString(), unused.ToString(), ruleId.ToString() })));
    }
}
