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

    [Fact]
    public async Task An_administrator_edits_an_auto_replys_content_and_retires_and_deletes_labels()
    {
        var created = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies/", new
        {
            name = "Prices desk", trigger = "keyword", keywords = new[] { "pricelist" }, variants = new[] { "Our prices start at 10 USD." },
            buttons = Array.Empty<object>(), enabled = true,
        });
        created.EnsureSuccessStatusCode();
        var rule = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rule").GetProperty("id").GetGuid();
        var legacy = (await (await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = $"Legacy {Guid.NewGuid():N}"[..14] }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("label");
        var temp = (await (await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = $"Temp {Guid.NewGuid():N}"[..12] }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("label");
        var temp2 = (await (await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = $"Promo {Guid.NewGuid():N}"[..13] }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("label").GetProperty("id").GetGuid();
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "hello there", name: "Lea Legacy");
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{await OpenConversationOfAsync(phone)}/labels",
            new { labelId = legacy.GetProperty("id").GetGuid() })).EnsureSuccessStatusCode();
        var (_, email) = await f.UserAsync("Ari Admin", "Administrator");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.ClickAsync("a[data-view=settings]");

        // The auto-reply's content, not only its switch: a new text and the hours it answers in.
        await page.ClickAsync("a[data-section=auto-replies]");
        await page.ClickAsync($"button[data-action=edit][data-rule='{rule}']");
        var editor = page.Locator(".autoreplyform form");
        await Assertions.Expect(editor.Locator("textarea[name=variant1]")).ToHaveValueAsync("Our prices start at 10 USD.");
        await editor.Locator("textarea[name=variant1]").FillAsync("Our prices start at 12 USD, see the list.");
        await editor.Locator("input[name=activeFrom]").FillAsync("09:00");
        await editor.Locator("input[name=activeTo]").FillAsync("18:00");
        await editor.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("table.list")).ToContainTextAsync("Our prices start at 12 USD, see the list.");
        var saved = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/auto-replies/{rule}");
        Assert.Equal("Our prices start at 12 USD, see the list.", saved.GetProperty("variants")[0].GetString());
        Assert.StartsWith("09:00", saved.GetProperty("activeFrom").GetString());
        Assert.Equal("pricelist", saved.GetProperty("keywords")[0].GetString());
        await page.ClickAsync($"button[data-action=delete][data-rule='{rule}']");
        await page.ClickAsync("dialog.confirm button[data-action=confirm]");
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Deleted Prices desk" })).ToBeVisibleAsync();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await f.Admin.GetAsync($"/api/v1/auto-replies/{rule}")).StatusCode);

        // Labels: the one in use is retired (kept on its conversation); deleting it is refused; an unused one goes.
        await page.ClickAsync("a[data-section=labels]");
        var legacyRow = page.Locator($"tr[data-label='{legacy.GetProperty("id").GetGuid()}']");
        await legacyRow.Locator("button[data-action=retire]").ClickAsync();
        await Assertions.Expect(page.Locator($"tr[data-label='{legacy.GetProperty("id").GetGuid()}'].retired")).ToContainTextAsync("retired");
        Assert.True((await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/labels"))!
            .Single(l => l.GetProperty("id").GetGuid() == legacy.GetProperty("id").GetGuid()).GetProperty("retired").GetBoolean());
        await page.Locator($"tr[data-label='{legacy.GetProperty("id").GetGuid()}'] button[data-action=delete]").ClickAsync();
        await page.ClickAsync("dialog.confirm button[data-action=confirm]");
        await Assertions.Expect(page.Locator(".toast.error")).ToContainTextAsync("retire it instead");
        await page.Locator($"tr[data-label='{temp.GetProperty("id").GetGuid()}'] button[data-action=delete]").ClickAsync();
        await page.ClickAsync("dialog.confirm button[data-action=confirm]");
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Deleted " + temp.GetProperty("path").GetString() })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"tr[data-label='{temp.GetProperty("id").GetGuid()}']")).ToHaveCountAsync(0);
        Assert.Equal(["" + legacy.GetProperty("path").GetString()],
            (await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{await OpenConversationOfAsync(phone)}"))
            .GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        await BrowserFixture.ScreenshotAsync(page, "settings-labels");

        // An auto-label rule's words are edited in place.
        var ruleMade = await f.Admin.PostAsJsonAsync("/api/v1/label-rules", new { labelId = temp2, keywords = new[] { "voucher" } });
        var labelRule = (await ruleMade.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await page.ClickAsync("a[data-section=labels]");
        await page.ClickAsync($"button[data-action=edit-rule][data-rule='{labelRule}']");
        await page.FillAsync(".ruleedit input[name=ruleKeywords]", "voucher, coupon");
        await page.ClickAsync(".ruleedit button[type=submit]");
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Rule saved" })).ToBeVisibleAsync();
        Assert.Equal(["voucher", "coupon"], (await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/label-rules"))!
            .Single(r => r.GetProperty("id").GetGuid() == labelRule).GetProperty("keywords").EnumerateArray().Select(k => k.GetString()));

        // What was done shows in the audit log, filtered by action.
        await page.ClickAsync("a[data-section=audit]");
        await page.FillAsync("form.audit input[name=action]", "label.deleted");
        await page.ClickAsync("form.audit button[type=submit]");
        await Assertions.Expect(page.Locator("table.audit tbody tr[data-action='label.deleted']")).ToContainTextAsync(
            temp.GetProperty("id").GetGuid().ToString());
        await Assertions.Expect(page.Locator("table.audit tbody tr[data-action='label.updated']")).ToHaveCountAsync(0);
        lock (errors) errors.RemoveAll(e => e.Contains("status of 409"));   // the refused delete, shown to the administrator
        WebAppTests.NoConsoleErrors(errors);
    }

    [Fact]
    public async Task An_administrator_resumes_a_paused_webhook_and_replays_its_deliveries_from_a_point()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await f.Admin.PostAsJsonAsync("/api/v1/webhooks/", new { url = receiver.Url, events = new[] { "message.received" } });
        created.EnsureSuccessStatusCode();
        var hook = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("webhook").GetProperty("id").GetGuid();
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "first question", name: "Hal Hook");
        await f.CustomerWritesAsync(phone, "second question", name: "Hal Hook");
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(receiver.Deliveries.Count == 2 ? "two" : null), "both deliveries");
        var second = receiver.Deliveries.Select(d => JsonDocument.Parse(d.Body).RootElement.GetProperty("id").ToString())
            .OrderBy(id => long.Parse(id)).Last();
        // The subscription was paused (as a day of failures does); nothing is delivered while it is.
        await f.Db.ExecAsync("update webhook_subscriptions set paused_at = now(), pause_reason = 'failing for 24 hours' where id = @id", ("id", hook));

        var (_, email) = await f.UserAsync("Wen Webhooks", "Administrator");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.ClickAsync("a[data-view=settings]");
        await page.ClickAsync("a[data-section=webhooks]");
        await Assertions.Expect(page.Locator("table.list").First).ToContainTextAsync("paused: failing for 24 hours");
        await page.ClickAsync("button[data-action=resume]");
        await Assertions.Expect(page.Locator("table.list").First).ToContainTextAsync("active");
        Assert.False((await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook}")).GetProperty("paused").GetBoolean());

        // Replay from the second delivery on: exactly that one again.
        await page.ClickAsync("button[data-action=deliveries]");
        var rows = page.Locator(".deliveries button[data-action=replay-from]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await rows.Nth(1).ClickAsync();
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "queued again" })).ToContainTextAsync("1 delivery");
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(receiver.Deliveries.Count == 3 ? "replayed" : null),
            "the second delivery again");
        Assert.Equal(2, receiver.Deliveries.Count(d => JsonDocument.Parse(d.Body).RootElement.GetProperty("id").ToString() == second));
        WebAppTests.NoConsoleErrors(errors);
    }

    [Fact]
    public async Task An_agent_picks_a_quick_replys_scenario_and_an_editor_deletes_a_quick_reply()
    {
        var created = await f.Admin.PostAsJsonAsync("/api/v1/quick-replies", new
        {
            shortcut = "/late", name = "Late parcel",
            versions = new[]
            {
                new { scenario = "standard", language = (string?)null, text = "Sorry {name}, your parcel is on its way." },
                new { scenario = "refusal", language = (string?)null, text = "Sorry {name}, we cannot refund this parcel." },
            },
        });
        created.EnsureSuccessStatusCode();
        var template = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var (agent, email) = await f.UserAsync("Sam Scenario", "Agent");
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "where is my refund", name: "Pia Parcel");
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{await OpenConversationOfAsync(phone)}/assign", new { agentId = agent }))
            .EnsureSuccessStatusCode();
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.Locator("ul.conversations li", new() { HasText = "Pia Parcel" }).ClickAsync();
        await page.FillAsync("#composer", "/late");
        await page.ClickAsync("ul.suggestions li[data-shortcut='/late']");
        await Assertions.Expect(page.Locator("#composer")).ToHaveValueAsync("Sorry Pia Parcel, your parcel is on its way.");
        await page.SelectOptionAsync("select[name=scenario]", "refusal");
        await Assertions.Expect(page.Locator("#composer")).ToHaveValueAsync("Sorry Pia Parcel, we cannot refund this parcel.");
        await page.ClickAsync("button[data-action=send]");
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(f.Provider.Sent.FirstOrDefault(s => s.Recipient == phone
            && s.Body.Contains("we cannot refund"))?.Body), "the refusal version to be sent");
        WebAppTests.NoConsoleErrors(errors);

        var (_, editorEmail) = await f.UserAsync("Eli Editor", "Editor");
        var (settings, settingsErrors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(settings, editorEmail);
        await settings.ClickAsync("a[data-view=settings]");
        await settings.ClickAsync("a[data-section=quick-replies]");
        await settings.ClickAsync($"button[data-action=delete][data-quick-reply='{template}']");
        await settings.ClickAsync("dialog.confirm button[data-action=confirm]");
        await Assertions.Expect(settings.Locator(".toast", new() { HasText = "Deleted" })).ToContainTextAsync("/late (used 1 time(s))");
        Assert.DoesNotContain((await f.Admin.GetFromJsonAsync<JsonElement[]>("/api/v1/quick-replies"))!,
            q => q.GetProperty("id").GetGuid() == template);
        WebAppTests.NoConsoleErrors(settingsErrors);
    }

    [Fact]
    public async Task An_administrator_edits_an_agents_profile_and_a_teams_routing()
    {
        var (agent, _) = await f.UserAsync("Kai Skills", "Agent");
        var team = await f.TeamAsync("Refund desk", [agent]);
        var (_, email) = await f.UserAsync("Ida Admin", "Administrator");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.ClickAsync("a[data-view=settings]");

        await page.ClickAsync("a[data-section=users]");
        await page.ClickAsync($"button[data-action=edit-user][data-user='{agent}']");
        var user = page.Locator(".useredit form");
        await user.Locator("input[name=skills]").FillAsync("refunds, thai");
        await user.Locator("input[name=languages]").FillAsync("th, en");
        await user.Locator("select[name=tier]").SelectOptionAsync("senior");
        await user.Locator("input[name=capacity]").FillAsync("7");
        await user.Locator("input[name=dailyBaseline]").FillAsync("90");
        await user.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Agent saved" })).ToBeVisibleAsync();
        var saved = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/users/{agent}");
        Assert.Equal(["refunds", "thai"], saved.GetProperty("skills").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["th", "en"], saved.GetProperty("languages").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(("senior", 7, 90), (saved.GetProperty("tier").GetString(), saved.GetProperty("capacity").GetInt32(),
            saved.GetProperty("dailyBaseline").GetInt32()));

        await page.ClickAsync("a[data-section=teams]");
        await page.ClickAsync($"button[data-action=edit-team][data-team='{team}']");
        var editor = page.Locator(".teamedit form");
        await editor.Locator("select[name=strategy]").SelectOptionAsync("round_robin");
        await editor.Locator("input[name=requiredSkills]").FillAsync("refunds");
        await editor.Locator("input[name=matchLanguage]").CheckAsync();
        await editor.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Team saved" })).ToBeVisibleAsync();
        var routed = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/teams/{team}");
        Assert.Equal("round_robin", routed.GetProperty("strategy").GetString());
        Assert.Equal(["refunds"], routed.GetProperty("requiredSkills").EnumerateArray().Select(x => x.GetString()));
        Assert.True(routed.GetProperty("matchLanguage").GetBoolean());
        Assert.Equal([agent], routed.GetProperty("members").EnumerateArray().Select(x => x.GetGuid()));

        // Revoking a key asks first: cancelled, the key stays; confirmed, it is gone.
        var key = await f.Admin.PostAsJsonAsync("/api/v1/api-keys/", new { name = "Old CRM", role = "Editor" });
        key.EnsureSuccessStatusCode();
        var keyId = (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("info").GetProperty("id").GetGuid();
        await page.ClickAsync("a[data-section=api-keys]");
        var revoke = page.Locator("tr", new() { HasText = "Old CRM" }).Locator("button[data-action=revoke]");
        await revoke.ClickAsync();
        await page.ClickAsync("dialog.confirm button[data-action=cancel]");
        async Task<bool> Revoked() => (await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/api-keys/")).EnumerateArray()
            .All(k => k.GetProperty("id").GetGuid() != keyId || k.GetProperty("revokedAt").ValueKind != JsonValueKind.Null);
        Assert.False(await Revoked());
        await revoke.ClickAsync();
        await page.ClickAsync("dialog.confirm button[data-action=confirm]");
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Revoked Old CRM" })).ToBeVisibleAsync();
        Assert.True(await Revoked());
        WebAppTests.NoConsoleErrors(errors);
    }

    [Fact]
    public async Task Browser_notifications_are_asked_for_once_and_announce_an_assignment()
    {
        var (agent, email) = await f.UserAsync("Noa Notify", "Agent");
        var (page, errors) = await f.PageAsync();
        // The browser's notifications, recorded: the permission and the asking survive reloads, as a browser keeps them.
        await page.AddInitScriptAsync("""
            window.__notified = [];
            window.Notification = class { constructor(text) { window.__notified.push(text); } };
            Object.defineProperty(window.Notification, 'permission', { get: () => localStorage.getItem('__permission') || 'default' });
            window.Notification.requestPermission = () => {
              localStorage.setItem('__asked', String(Number(localStorage.getItem('__asked') || 0) + 1));
              localStorage.setItem('__permission', 'granted');
              return Promise.resolve('granted');
            };
            """);
        await BrowserFixture.SignInAsync(page, email);
        await page.ClickAsync("header.top");
        await page.ReloadAsync();
        await page.ClickAsync("header.top");
        Assert.Equal("1", await page.EvaluateAsync<string>("localStorage.getItem('__asked')"));

        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "hello, anyone?", name: "Ola Online");
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{await OpenConversationOfAsync(phone)}/assign", new { agentId = agent }))
            .EnsureSuccessStatusCode();
        await BrowserFixture.EventuallyAsync(async () => (await page.EvaluateAsync<string[]>("window.__notified"))
            .Contains("New conversation assigned") ? "shown" : null, "the browser notification");
        WebAppTests.NoConsoleErrors(errors);
    }
}
