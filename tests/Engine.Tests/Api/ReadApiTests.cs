using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class ReadApiTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task Conversations_page_with_a_cursor_without_gaps_or_repeats()
    {
        var phones = Enumerable.Range(0, 7).Select(i => $"6281200000{i:00}").ToList();
        foreach (var p in phones)
        {
            f.Clock.Advance(TimeSpan.FromSeconds(1));
            // Written now, so no window closes (and touches a conversation) while the pages are read.
            var now = f.Clock.GetUtcNow().ToUnixTimeSeconds();
            await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(p, Wa.NewId(), now, "hi"));
        }
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?channelId={f.WhatsAppChannel}&limit=3&order=asc{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("contact").GetProperty("externalId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);
        Assert.Equal(phones, seen.Where(phones.Contains));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Conversations_filter_by_status_channel_contact_and_updated_since()
    {
        const string phone = "628120009999";
        f.Clock.Advance(TimeSpan.FromMinutes(5));
        var since = f.Clock.GetUtcNow();
        await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000000, "hi"));

        var recent = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?updatedSince={Uri.EscapeDataString(since.ToString("O"))}");
        Assert.Equal(phone, Assert.Single(recent.GetProperty("items").EnumerateArray()).GetProperty("contact").GetProperty("externalId").GetString());

        var resolved = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/conversations?status=resolved");
        Assert.Empty(resolved.GetProperty("items").EnumerateArray());
        var wechat = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?channelId={f.WeChatChannel}");
        Assert.Empty(wechat.GetProperty("items").EnumerateArray());
        var labelled = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/conversations?label=vip");
        Assert.Empty(labelled.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("/api/v1/conversations?status=closed", "status")]
    [InlineData("/api/v1/conversations?limit=0", "limit")]
    [InlineData("/api/v1/conversations?cursor=garbage!", "cursor")]
    [InlineData("/api/v1/conversations?order=sideways", "order")]
    [InlineData("/api/v1/contacts?limit=1000", "limit")]
    public async Task Bad_query_parameters_are_named_in_a_problem(string url, string field)
    {
        var r = await f.Admin.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        foreach (var url in new[] { $"/api/v1/conversations/{Guid.NewGuid()}", $"/api/v1/conversations/{Guid.NewGuid()}/messages", $"/api/v1/contacts/{Guid.NewGuid()}" })
        {
            var r = await f.Admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("not_found", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task Messages_come_oldest_first_and_contacts_are_searchable_by_name()
    {
        const string phone = "628120008888";
        var client = f.Host.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            f.Clock.Advance(TimeSpan.FromSeconds(1));
            await Wa.PostAsync(client, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), 1760000000 + i, $"n{i}", "Siti Rahma"));
        }
        var contacts = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/contacts?search=siti");
        var contact = Assert.Single(contacts.GetProperty("items").EnumerateArray());
        var contactId = contact.GetProperty("id").GetGuid();
        Assert.Equal("Siti Rahma", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{contactId}")).GetProperty("name").GetString());
        var conv = (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?contactId={contactId}")).GetProperty("items")[0].GetProperty("id").GetGuid();
        var first = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conv}/messages?limit=2");
        Assert.Equal(["n0", "n1"], first.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        var rest = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{conv}/messages?limit=2&cursor={first.GetProperty("nextCursor").GetString()}");
        Assert.Equal(["n2"], rest.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }
}
