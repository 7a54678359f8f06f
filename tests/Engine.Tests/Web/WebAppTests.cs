using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>The web app in headless Chromium against a running engine on PostgreSQL, with the fake provider as WhatsApp.</summary>
[Collection("browser")]
public class WebAppTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    internal static string NewPhone() => "6684" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    internal static void NoConsoleErrors(List<string> errors)
    {
        lock (errors) Assert.True(errors.Count == 0, "Console errors: " + string.Join(" | ", errors));
    }

    private async Task<string> SentTextTo(string phone, string contains) =>
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(f.Provider.Sent.Where(s => s.Recipient == phone)
            .Select(s => JsonDocument.Parse(s.Body).RootElement)
            .Where(b => b.TryGetProperty("text", out var t) && t.TryGetProperty("body", out _))
            .Select(b => b.GetProperty("text").GetProperty("body").GetString())
            .FirstOrDefault(t => t!.Contains(contains))), $"the provider to receive \"{contains}\" for {phone}");

    [Fact]
    public async Task An_agent_gets_a_customer_live_answers_with_a_quick_reply_and_sees_the_delivery_ticks()
    {
        var (agent, email) = await f.UserAsync("Pim Agent", "Agent");
        await f.TeamAsync("Front desk", [agent], isDefault: true);
        (await f.Admin.PostAsJsonAsync("/api/v1/quick-replies", new
        {
            shortcut = "/thanks", name = "Thanks",
            versions = new[] { new { scenario = "standard", language = (string?)null, text = "Thank you {name}, we are on it." } },
        })).EnsureSuccessStatusCode();

        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.SelectOptionAsync("select.presence", "online");
        await page.WaitForSelectorAsync("select.presence.is-online");
        await Assertions.Expect(page.Locator(".load")).ToHaveTextAsync("0/5");

        // The customer writes: the conversation appears live, assigned to this agent, with the load updated.
        var phone = NewPhone();
        await f.CustomerWritesAsync(phone, "Where is my parcel?", "Ana Lima");
        var item = page.Locator("ul.conversations li", new() { HasText = "Ana Lima" });
        await Assertions.Expect(item).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".load")).ToHaveTextAsync("1/5");
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-assigned", "1");   // the assignment notice (sound + toast)
        await Assertions.Expect(page.Locator(".toast")).ToContainTextAsync("assigned to you");

        await item.ClickAsync();
        await Assertions.Expect(page.Locator("ol.thread")).ToContainTextAsync("Where is my parcel?");
        await Assertions.Expect(page.Locator(".lockinfo")).ToContainTextAsync("You hold the lock");

        // A quick reply by its shortcut, variables filled from the contact.
        await page.FillAsync("#composer", "/than");
        await page.ClickAsync("ul.suggestions li[data-shortcut='/thanks']");
        await Assertions.Expect(page.Locator("#composer")).ToHaveValueAsync("Thank you Ana Lima, we are on it.");
        await page.ClickAsync("button[data-action=send]");
        Assert.Equal("Thank you Ana Lima, we are on it.", await SentTextTo(phone, "Thank you Ana Lima"));

        // The provider reports delivered and read: the ticks follow live.
        var tick = page.Locator("li.msg.out", new() { HasText = "Thank you Ana Lima" }).Locator(".ticks");
        await Assertions.Expect(tick).ToHaveAttributeAsync("data-status", new System.Text.RegularExpressions.Regex("^(queued|accepted|sent)$"));
        await f.Provider.DeliverStatusesAsync();
        await Assertions.Expect(tick).ToHaveAttributeAsync("data-status", "read");

        // Team notes: the 300-character counter, refused in the form when over, stored when within.
        await page.FillAsync("textarea[name=note]", new string('n', 310));
        await Assertions.Expect(page.Locator("section.notes .counter")).ToHaveTextAsync("310/300");
        await page.ClickAsync("section.notes button[type=submit]");
        await Assertions.Expect(page.Locator("section.notes .error")).ToContainTextAsync("10 too many");
        await page.FillAsync("textarea[name=note]", "10:05|parcel|asked the courier");
        await page.ClickAsync("section.notes button[type=submit]");
        await Assertions.Expect(page.Locator("section.notes ul")).ToContainTextAsync("10:05|parcel|asked the courier");
        await Assertions.Expect(page.Locator("textarea[name=note]")).ToHaveValueAsync("");

        // The customer writes while a note is being typed: the live update keeps the note's text, focus and caret.
        await page.FocusAsync("textarea[name=note]");
        await page.Keyboard.TypeAsync("10:20|call|");
        await f.CustomerWritesAsync(phone, "Any news about it?", "Ana Lima");
        await Assertions.Expect(page.Locator("ol.thread")).ToContainTextAsync("Any news about it?");
        await page.Keyboard.TypeAsync("promised an update");
        await Assertions.Expect(page.Locator("textarea[name=note]")).ToHaveValueAsync("10:20|call|promised an update");
        await page.FillAsync("textarea[name=note]", "");

        await BrowserFixture.ScreenshotAsync(page, "inbox");
        var phone375 = await f.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 375, Height = 740 }, BaseURL = f.BaseUrl.ToString() });
        var small = await phone375.NewPageAsync();
        await BrowserFixture.SignInAsync(small, email);
        await Assertions.Expect(small.Locator("ul.conversations li", new() { HasText = "Ana Lima" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(small, "inbox-phone");
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_second_agent_sees_the_lock_read_only_and_takes_over_after_idle_release()
    {
        var (first, firstEmail) = await f.UserAsync("Kai First", "Agent");
        var (second, secondEmail) = await f.UserAsync("Noi Second", "Agent");
        var team = await f.TeamAsync("Lock desk", [first, second]);
        (await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = team, keywords = new[] { "refund" }, priority = 10 })).EnsureSuccessStatusCode();

        var (a, aErrors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(a, firstEmail);
        await a.SelectOptionAsync("select.presence", "online");
        await a.WaitForSelectorAsync("select.presence.is-online");
        var phone = NewPhone();
        await f.CustomerWritesAsync(phone, "I want a refund", "Lek Refund");
        var item = a.Locator("ul.conversations li", new() { HasText = "Lek Refund" });
        await item.ClickAsync();
        await Assertions.Expect(a.Locator(".lockinfo")).ToContainTextAsync("You hold the lock");

        // The second agent comes online and opens it: read only, with who holds the lock and the countdown.
        var (b, bErrors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(b, secondEmail);
        await b.SelectOptionAsync("select.presence", "online");
        await b.WaitForSelectorAsync("select.presence.is-online");
        await b.ClickAsync("button[data-filter=queues]");
        var conversation = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations?status=open&assigneeId={first}");
        var id = conversation.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetGuid();
        await b.GotoAsync($"/#/inbox/{id}");
        await Assertions.Expect(b.Locator(".lockinfo")).ToContainTextAsync("Locked by Kai First");
        await Assertions.Expect(b.Locator(".readonly")).ToContainTextAsync("Kai First is working on this conversation");
        Assert.Equal(0, await b.Locator("#composer").CountAsync());

        // The holder does nothing for 3 minutes (the engine's clock, moved by the test-only endpoint): the conversation
        // returns to the queue and goes to the other online agent, who can now reply.
        (await f.Admin.PostAsync("/test/clock/advance?seconds=181", null)).EnsureSuccessStatusCode();
        await Assertions.Expect(b.Locator("#composer")).ToBeVisibleAsync();
        await b.FillAsync("#composer", "Hello, I am taking over your refund.");
        await b.ClickAsync("button[data-action=send]");
        // Queue and hand-over notices already used this new customer's 5 messages a minute: the reply waits for the next minute.
        await BrowserFixture.EventuallyAsync(async () => await f.Db.ScalarAsync<long>(
            "select count(*) from messages where direction = 'out' and text like '%taking over your refund%'") > 0 ? "" : null, "the reply to be stored");
        (await f.Admin.PostAsync("/test/clock/advance?seconds=61", null)).EnsureSuccessStatusCode();
        await SentTextTo(phone, "taking over your refund");
        var after = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/conversations/{id}");
        Assert.Equal(second, after.GetProperty("assigneeId").GetGuid());
        NoConsoleErrors(aErrors);
        NoConsoleErrors(bErrors);
    }

    [Fact]
    public async Task A_supervisor_sees_the_figures_of_the_reports_api_and_an_analyst_cannot_reach_the_inbox()
    {
        var (agent, _) = await f.UserAsync("Dash Agent", "Agent");
        var (_, editorEmail) = await f.UserAsync("Sue Supervisor", "Editor");
        var (_, analystEmail) = await f.UserAsync("Ann Analyst", "Analyst");
        // Seeded data: four conversations today, two resolved by the agent (one within a minute of the first reply), one abandoned.
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        var now = f.Clock.GetUtcNow();
        for (var i = 0; i < 4; i++)
        {
            var contact = Guid.NewGuid();
            await f.Db.ExecAsync("insert into contacts (id, business_id, channel_id, external_id, name, first_seen_at, last_seen_at, created_at, updated_at) values (@id, @b, @ch, @e, @n, @t, @t, @t, @t)",
                ("id", contact), ("b", business), ("ch", f.WhatsAppChannel), ("e", NewPhone()), ("n", $"Seeded {i}"), ("t", now.AddHours(-2)));
            var opened = now.AddHours(-2).AddMinutes(i);
            await f.Db.ExecAsync("""
                insert into conversations (id, business_id, channel_id, contact_id, status, assignee_id, opened_at, resolved_at, first_human_reply_at, created_at, updated_at)
                values (@id, @b, @ch, @c, @s, @a, @o, @r, @fr, @o, @o)
                """, ("id", Guid.NewGuid()), ("b", business), ("ch", f.WhatsAppChannel), ("c", contact), ("s", i < 3 ? "resolved" : "open"),
                ("a", i < 2 ? agent : DBNull.Value), ("o", opened), ("r", i < 3 ? opened.AddMinutes(20) : DBNull.Value),
                ("fr", i < 2 ? opened.AddSeconds(60 + 60 * i) : DBNull.Value));
        }

        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, editorEmail);
        await page.ClickAsync("nav a[data-view=dashboard]");
        await page.WaitForSelectorAsync("[data-figure=conversations]");
        // The same period the dashboard asks for: the last 30 local days of the browser (UTC here) up to the end of today.
        var today = DateTime.UtcNow.Date;
        var from = new DateTimeOffset(today.AddDays(-29), TimeSpan.Zero).ToString("O");
        var to = new DateTimeOffset(today.AddDays(1), TimeSpan.Zero).ToString("O");
        var summary = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/reports/summary?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");
        static string Pct(JsonElement e) => e.ValueKind == JsonValueKind.Null ? "–" : (e.GetDouble() * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
        await Assertions.Expect(page.Locator("[data-figure=conversations] .value")).ToHaveTextAsync(summary.GetProperty("conversations").GetInt32().ToString());
        await Assertions.Expect(page.Locator("[data-figure=resolution-rate] .value")).ToHaveTextAsync(Pct(summary.GetProperty("resolutionRate")));
        await Assertions.Expect(page.Locator("[data-figure=abandonment] .value")).ToHaveTextAsync(Pct(summary.GetProperty("abandonmentRate")));
        await Assertions.Expect(page.Locator("[data-figure=first-response] .value")).ToHaveTextAsync("1 min 30 s");   // median of 60 s and 120 s
        Assert.Equal(4, summary.GetProperty("conversations").GetInt32());
        // Each time with mean, median and p90; the funnel; the wait tiers; week over week.
        var firstResponse = page.Locator("tr[data-time=first-response] td");
        await Assertions.Expect(firstResponse.Nth(1)).ToHaveTextAsync("1 min 30 s");   // mean of 60 s and 120 s
        await Assertions.Expect(firstResponse.Nth(4)).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("tr[data-step=opened] td").Nth(1)).ToHaveTextAsync("4");
        await Assertions.Expect(page.Locator("tr[data-step=replied] td").Nth(2)).ToHaveTextAsync(
            Pct(JsonDocument.Parse($"{summary.GetProperty("funnel").GetProperty("replied").GetInt32() / 4.0}").RootElement));
        await Assertions.Expect(page.Locator("section.tiers tbody tr")).ToHaveCountAsync(summary.GetProperty("waitTiers").GetArrayLength());
        await Assertions.Expect(page.Locator("section.weekly tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("table.agents tr[data-agent='" + agent + "']")).ToContainTextAsync("Dash Agent");
        await Assertions.Expect(page.Locator("table.heatmap")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#trend-volume")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "dashboard");
        NoConsoleErrors(errors);
        var (narrow, narrowErrors) = await f.PageAsync(375, 812);   // the same at a phone's width
        await BrowserFixture.SignInAsync(narrow, editorEmail);
        await narrow.ClickAsync("nav a[data-view=dashboard]");
        await Assertions.Expect(narrow.Locator("[data-figure=conversations] .value")).ToHaveTextAsync("4");
        await BrowserFixture.ScreenshotAsync(narrow, "dashboard-375");
        NoConsoleErrors(narrowErrors);

        var (analyst, analystErrors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(analyst, analystEmail);
        await Assertions.Expect(analyst.Locator("[data-figure=conversations]")).ToBeVisibleAsync();   // lands on the dashboard
        Assert.Equal(0, await analyst.Locator("nav a[data-view=inbox]").CountAsync());
        await analyst.GotoAsync("/#/inbox");
        await Assertions.Expect(analyst.Locator("#view")).ToContainTextAsync("Not available");
        Assert.Equal(0, await analyst.Locator("ul.conversations").CountAsync());
        NoConsoleErrors(analystErrors);
    }

    [Fact]
    public async Task An_auto_reply_over_256_characters_is_refused_in_the_form_and_a_valid_one_answers_the_next_message()
    {
        var (_, adminEmail) = await f.UserAsync("Ada Admin", "Administrator");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, adminEmail);
        await page.ClickAsync("nav a[data-view=settings]");
        await page.ClickAsync("a[data-section=auto-replies]");
        await page.FillAsync("input[name=name]", "Opening hours");
        await page.SelectOptionAsync("select[name=trigger]", "keyword");
        await page.FillAsync("input[name=keywords]", "opening hours");
        await page.FillAsync("textarea[name=variant1]", new string('x', 300));
        await Assertions.Expect(page.Locator(".variant .counter")).ToHaveTextAsync("300/256");
        await Assertions.Expect(page.Locator(".variant .counter")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("over"));
        await page.ClickAsync("button:has-text('Create auto-reply')");
        await Assertions.Expect(page.Locator("form.settings-form .error")).ToContainTextAsync("44 characters over the 256-character limit");
        Assert.Empty((await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/auto-replies")).EnumerateArray());

        await page.FillAsync("textarea[name=variant1]", "We are open 08:00–22:00 every day.");
        await Assertions.Expect(page.Locator(".variant .counter")).ToHaveTextAsync("34/256");
        await page.ClickAsync("button:has-text('Create auto-reply')");
        await Assertions.Expect(page.Locator("table.list")).ToContainTextAsync("We are open 08:00–22:00 every day.");

        var phone = NewPhone();
        await f.CustomerWritesAsync(phone, "What are your opening hours?", "Somchai");
        Assert.Equal("We are open 08:00–22:00 every day.", await SentTextTo(phone, "We are open"));

        // A bot flow built in the form: counters as you type, refused over the limits, saved as a versioned flow.
        await page.ClickAsync("a[data-section=bot-flows]");
        await page.FillAsync("input[name=key]", "returns");
        await page.FillAsync("input[name=name]", "Returns");
        await page.FillAsync("input[name=entry]", "exchange");   // not a word the other tests' customers use
        await page.FillAsync("textarea[name=nodeText]", "What would you like to do with your order?");
        await page.FillAsync("input[name=optionTitle]", "Return an item please now");
        await Assertions.Expect(page.Locator(".flowoption .counter").First).ToHaveTextAsync("25/20");
        await page.FillAsync("textarea[name=optionAnswer]", "Returns are free within 7 days.");
        await page.ClickAsync("button:has-text('Save flow')");
        await Assertions.Expect(page.Locator("form.settings-form .error")).ToContainTextAsync("5 characters over the 20-character limit");
        await page.FillAsync("input[name=optionTitle]", "Return an item");
        await page.ClickAsync("button:has-text('Save flow')");
        await Assertions.Expect(page.Locator("table.list")).ToContainTextAsync("returns");
        var flows = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/bot-flows");
        var flow = flows.EnumerateArray().Single(x => x.GetProperty("key").GetString() == "returns");
        Assert.Equal("Returns are free within 7 days.", flow.GetProperty("definition").GetProperty("nodes").GetProperty("start").GetProperty("options")[0].GetProperty("answer").GetString());
        NoConsoleErrors(errors);
    }

    [Fact]
    public async Task A_customers_photo_is_shown_inline_and_their_document_links_to_its_file()
    {
        var (agent, email) = await f.UserAsync("Mo Media", "Agent");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.SelectOptionAsync("select.presence", "online");
        await page.WaitForSelectorAsync("select.presence.is-online");

        var phone = NewPhone();
        var png = TestImages.Png(160, 100);   // a real picture: the browser has to decode what the engine serves it
        await f.CustomerSendsMediaAsync(phone, "image", png, "image/png", caption: "the box arrived crushed", name: "Mo Customer");
        await f.CustomerSendsMediaAsync(phone, "document", System.Security.Cryptography.RandomNumberGenerator.GetBytes(2048),
            "application/pdf", filename: "invoice-77.pdf", name: "Mo Customer");
        var conversation = await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        await BrowserFixture.EventuallyAsync(async () => await f.Db.CountAsync(
            "from message_media mm join messages m on m.id = mm.message_id where m.conversation_id = @c and mm.status = 'stored'",
            ("c", conversation)) == 2 ? "stored" : null, "both attachments to be fetched");
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = agent })).EnsureSuccessStatusCode();

        await page.Locator("ul.conversations li", new() { HasText = "Mo Customer" }).ClickAsync();
        var image = page.Locator("ol.thread img.attachment");
        await Assertions.Expect(image).ToBeVisibleAsync();
        await BrowserFixture.EventuallyAsync(async () => await image.EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0") == 160
            ? "decoded" : null, "the photo to load");
        await Assertions.Expect(page.Locator("ol.thread")).ToContainTextAsync("the box arrived crushed");
        var document = page.Locator("ol.thread a.document");
        await Assertions.Expect(document).ToContainTextAsync("invoice-77.pdf");
        await Assertions.Expect(document).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^/api/v1/messages/[0-9a-f-]+/media$"));
        await BrowserFixture.ScreenshotAsync(page, "inbox-media");
        NoConsoleErrors(errors);
    }
}
