using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>The agent's and the supervisor's workspace in headless Chromium: the customer panel beside the thread, a
/// transfer's comment where the receiving agent reads, assigning to a named person, the notification centre.</summary>
[Collection("browser")]
public class WorkspaceWebTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    private async Task<Guid> OpenConversationOfAsync(string phone) => await f.Db.ScalarAsync<Guid>(
        "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p and v.status = 'open'",
        ("p", phone));

    [Fact]
    public async Task An_agent_reads_the_customer_panel_and_the_transfer_comment()
    {
        var (giver, _) = await f.UserAsync("Tia Transfer", "Agent");
        var (receiver, email) = await f.UserAsync("Rui Receiver", "Agent");
        var returns = await f.TeamAsync("Returns desk", [receiver]);
        var phone = WebAppTests.NewPhone();

        // The customer wrote before (a resolved conversation), and writes again.
        await f.CustomerWritesAsync(phone, "where is my order?", name: "Cora Customer");
        var earlier = await OpenConversationOfAsync(phone);
        (await f.Admin.PostAsync($"/api/v1/conversations/{earlier}/resolve", null)).EnsureSuccessStatusCode();
        await f.CustomerWritesAsync(phone, "the parcel came damaged", name: "Cora Customer");
        var conversation = await OpenConversationOfAsync(phone);
        var contact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", conversation));
        (await f.Admin.PostAsJsonAsync("/api/v1/contact-attributes/", new { key = "plan", type = "text", label = "Plan" }))
            .EnsureSuccessStatusCode();
        (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new
        {
            vip = true, lifetimeSpend = 1234.5m, tags = new[] { "wholesale" }, attributes = new { plan = "gold" },
            lastOrder = new { id = "A-77", amount = 59.9m, currency = "USD" }, dedicatedAgentId = receiver,
        })).EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{contact}/notes", new { text = "Prefers calls in the morning" }))
            .EnsureSuccessStatusCode();

        // The first agent hands over with a comment; the conversation reaches the receiver.
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = giver })).EnsureSuccessStatusCode();
        var giverClient = f.Host.CreateClient();
        var login = await giverClient.PostAsJsonAsync("/api/v1/auth/login",
            new { email = await f.Db.ScalarAsync<string>("select email from users where id = @u", ("u", giver)), password = BrowserFixture.Password });
        giverClient.DefaultRequestHeaders.Authorization = new("Bearer",
            (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        (await giverClient.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer",
            new { toTeamId = returns, comment = "Refund approved, send the return label" })).EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = receiver })).EnsureSuccessStatusCode();

        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.Locator("ul.conversations li", new() { HasText = "Cora Customer" }).ClickAsync();
        await Assertions.Expect(page.Locator("ol.thread li.handover")).ToContainTextAsync("Refund approved, send the return label");
        var panel = page.Locator("section.customer");
        await Assertions.Expect(panel.Locator("h3")).ToContainTextAsync("Cora Customer");
        await Assertions.Expect(panel.Locator("h3 .badge.vip")).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator("dd.spend")).ToContainTextAsync("1,234.50");
        await Assertions.Expect(panel.Locator("dd.lastorder")).ToContainTextAsync("A-77");
        await Assertions.Expect(panel.Locator("dd[data-attribute=plan]")).ToHaveTextAsync("gold");
        await Assertions.Expect(panel.Locator(".tags")).ToContainTextAsync("wholesale");
        await Assertions.Expect(panel.Locator("dd.dedicated")).ToHaveTextAsync("You");
        await Assertions.Expect(panel).ToContainTextAsync("+" + phone);
        await Assertions.Expect(panel.Locator("h4", new() { HasText = "Other conversations" })).ToHaveTextAsync("Other conversations (1)");
        await Assertions.Expect(panel.Locator("ul.cnotes")).ToContainTextAsync("Prefers calls in the morning");

        // The agent corrects the language and adds a note, through the API the panel uses.
        await panel.Locator("input[name=language]").FillAsync("pt");
        await panel.Locator("input[name=language]").DispatchEventAsync("change");
        await Assertions.Expect(panel.Locator("input[name=language].saved")).ToBeVisibleAsync();
        Assert.Equal("pt", (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{contact}")).GetProperty("language").GetString());
        await panel.Locator("textarea[name=customerNote]").FillAsync("Called back, label sent");
        await panel.Locator("form.cnote button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator("ul.cnotes li").Last).ToContainTextAsync("Called back, label sent");
        Assert.Equal(2, (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{contact}/notes")).GetArrayLength());
        await BrowserFixture.ScreenshotAsync(page, "inbox-customer-panel-1280");

        // The same at a phone's width.
        var (small, smallErrors) = await f.PageAsync(375, 812);
        await BrowserFixture.SignInAsync(small, email);
        await small.GotoAsync($"/#/inbox/{conversation}");
        await Assertions.Expect(small.Locator("section.customer h3")).ToContainTextAsync("Cora Customer");
        await BrowserFixture.ScreenshotAsync(small, "inbox-customer-panel-375");
        WebAppTests.NoConsoleErrors(errors);
        WebAppTests.NoConsoleErrors(smallErrors);
    }

    [Fact]
    public async Task A_supervisor_assigns_to_a_named_agent_and_reads_a_low_rating_notification()
    {
        var (named, _) = await f.UserAsync("Nia Named", "Agent", capacity: 4);
        await f.UserAsync("Oto Other", "Agent");
        var (_, email) = await f.UserAsync("Sue Supervisor", "Editor");
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "I need help with a refund", name: "Ravi Rating");
        var conversation = await OpenConversationOfAsync(phone);

        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.Locator("ul.conversations li", new() { HasText = "Ravi Rating" }).ClickAsync();
        await page.ClickAsync("button[data-action=assign]");
        var person = page.Locator($"dialog.assign li[data-user='{named}']");
        await Assertions.Expect(person).ToContainTextAsync("Nia Named");
        await Assertions.Expect(person.Locator(".load")).ToHaveTextAsync("0/4");
        await person.Locator("button").ClickAsync();
        await BrowserFixture.EventuallyAsync(async () => await f.Db.ScalarAsync<Guid>(
            "select coalesce(assignee_id, '00000000-0000-0000-0000-000000000000') from conversations where id = @c", ("c", conversation)) == named
            ? "assigned" : null, "the conversation to be Nia's");

        // Resolved, rated 2 by the customer: the supervisor's bell counts it and the centre shows it until read.
        await page.ClickAsync("button[data-action=resolve]");   // the supervisor holds the lock: resolved from the inbox
        await BrowserFixture.EventuallyAsync(async () => await f.Db.ScalarAsync<string>(
            "select status from conversations where id = @c", ("c", conversation)) == "resolved" ? "resolved" : null, "the resolve");
        f.Clock.Advance(TimeSpan.FromMinutes(1));
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(f.Provider.Sent.Any(s => s.Recipient == phone && s.Type == "interactive")
            ? "asked" : null), "the rating request");
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        using (var client = new HttpClient { BaseAddress = f.BaseUrl })
            (await Wa.PostAsync(client, f.WhatsAppChannel, Wa.Envelope($"[{Wa.Contact(phone, "Ravi Rating")}]",
                "[{\"from\":\"" + phone + "\",\"id\":\"" + Wa.NewId() + "\",\"timestamp\":\"" + ts
                + "\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"csat:2\",\"title\":\"★★\"}}}]")))
                .EnsureSuccessStatusCode();
        var bell = page.Locator("button[data-action=notifications]");
        await Assertions.Expect(bell.Locator(".count")).Not.ToHaveTextAsync("");
        await bell.ClickAsync();
        var low = page.Locator(".notifpanel li.unread[data-kind=csat_low]", new() { HasText = "2/5" });
        await Assertions.Expect(low).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "notification-centre");
        await low.Locator("button", new() { HasText = "Mark read" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notifpanel li.read[data-kind=csat_low]", new() { HasText = "2/5" })).ToBeVisibleAsync();
        WebAppTests.NoConsoleErrors(errors);
    }
}
