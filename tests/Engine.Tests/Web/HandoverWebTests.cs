using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>What an agent receiving a hand-over reads in the web app (an engine of its own: its conversations do not
/// reach the other browser tests' figures).</summary>
[Collection("browser")]
public class HandoverWebTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_agent_receiving_a_transfer_reads_its_comment_in_the_thread()
    {
        var (receiver, email) = await f.UserAsync("Rin Receives", "Agent");
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "My order 7781 never came", "Tao Transfer");
        var open = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/conversations?status=open&limit=200");
        var id = open.GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("contact").GetProperty("name").GetString() == "Tao Transfer").GetProperty("id").GetGuid();
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{id}/transfer",
            new { toAgentId = receiver, comment = "Courier lost it; offer a refund or a resend" })).EnsureSuccessStatusCode();

        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.GotoAsync($"/#/inbox/{id}");
        var handover = page.Locator("ol.thread li.handover");
        await Assertions.Expect(handover).ToContainTextAsync("Courier lost it; offer a refund or a resend");
        await Assertions.Expect(handover).ToContainTextAsync("Hand-over from");
        await Assertions.Expect(page.Locator("ol.thread")).ToContainTextAsync("My order 7781 never came");
        Assert.Equal(0, await page.Locator("section.notes li", new() { HasText = "Courier lost it" }).CountAsync());
        WebAppTests.NoConsoleErrors(errors);
    }
}
