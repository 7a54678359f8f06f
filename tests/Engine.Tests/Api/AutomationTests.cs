using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>The bot on live traffic: replies reach the fake provider, the 3-per-24h cap hands over, routing fills team queues, updates apply on every node.</summary>
public class AutomationTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string NewPhone() => "6691" + Random.Shared.NextInt64(1_000_000, 9_999_999);

    private IEnumerable<JsonElement> SentTo(string phone) => f.Provider.Sent.Where(s => s.Recipient == phone).Select(s => JsonDocument.Parse(s.Body).RootElement);

    private static string BodyText(JsonElement sent) => sent.GetProperty("type").GetString() == "text"
        ? sent.GetProperty("text").GetProperty("body").GetString()! : sent.GetProperty("interactive").GetProperty("body").GetProperty("text").GetString()!;

    private async Task<JsonElement> RuleAsync(object rule)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", rule);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("rule");
    }

    private async Task WritesAsync(string phone, string text, HttpClient? node = null, string? buttonId = null)
    {
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        var body = buttonId is null ? Wa.TextDelivery(phone, Wa.NewId(), ts, text)
            : Wa.Envelope($"[{Wa.Contact(phone, "Ana Lima")}]", "[{\"from\":\"" + phone + "\",\"id\":\"" + Wa.NewId() + "\",\"timestamp\":\"" + ts
                + "\",\"type\":\"interactive\",\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"" + buttonId + "\",\"title\":\"Talk to an agent\"}}}]");
        (await Wa.PostAsync(node ?? f.Host.CreateClient(), f.WhatsAppChannel, body)).EnsureSuccessStatusCode();
        await f.DrainAsync();
    }

    private Task<JsonElement> ConversationOf(string phone) => f.Db.ScalarAsync<Guid>(
        "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p order by v.opened_at desc limit 1", ("p", phone))
        .ContinueWith(t => TeamFixture.ConversationAsync(f, t.Result)).Unwrap();

    [Fact]
    public async Task The_bot_welcomes_answers_caps_at_three_in_24_hours_and_hands_over()
    {
        var team = await TeamFixture.TeamAsync(f, "Humans", "manual", [], isDefault: true);
        var welcome = await RuleAsync(new { name = "Welcome", trigger = "first_contact", variants = new[] { "Hi {name}! How can we help?" }, priority = 1 });
        await RuleAsync(new { name = "Shipping", trigger = "keyword", keywords = new[] { "shipping fee", "ค่าจัดส่ง", "运费" }, variants = new[] { "Shipping is free over $30." }, priority = 5 });
        var phone = NewPhone();

        await WritesAsync(phone, "hello");
        Assert.Equal("Hi Ana Lima! How can we help?", BodyText(SentTo(phone).First()));   // then their place in the queue
        var c = await ConversationOf(phone);
        Assert.Equal(team, c.GetProperty("teamId").GetGuid());      // a welcome is not an answer: the customer waits for a person

        await WritesAsync(phone, "ค่าจัดส่งเท่าไหร่");
        var second = SentTo(phone).Last();
        Assert.Equal("Shipping is free over $30.", BodyText(second));
        Assert.Contains(second.GetProperty("interactive").GetProperty("action").GetProperty("buttons").EnumerateArray(),
            b => b.GetProperty("reply").GetProperty("id").GetString() == "talk_to_agent");   // the shortcut from the second reply on

        await WritesAsync(phone, "运费?");
        Assert.Equal(3, SentTo(phone).Count(s => BodyText(s).StartsWith("Shipping") || BodyText(s).StartsWith("Hi")));
        await WritesAsync(phone, "shipping fee again?");                    // a 4th within 24 hours: a human steps in
        Assert.Equal(3, SentTo(phone).Count(s => BodyText(s).StartsWith("Shipping") || BodyText(s).StartsWith("Hi")));
        c = await ConversationOf(phone);
        Assert.Equal(team, c.GetProperty("teamId").GetGuid());
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'bot.handed_over'", ("c", c.GetProperty("id").GetGuid())));
        // Other tests here start new conversations: leave no welcome (and no default team) behind.
        var removed = await f.Admin.DeleteAsync($"/api/v1/auto-replies/{welcome.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);   // answered with the rule removed
        Assert.Equal("Welcome", JsonDocument.Parse(await removed.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
        await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{team}", new { isDefault = false });
    }

    [Fact]
    public async Task A_keyword_answer_keeps_the_conversation_with_the_bot_and_30_quiet_minutes_resolve_it_as_the_bots()
    {
        var team = await TeamFixture.TeamAsync(f, "After the bot", "manual", [], isDefault: true);
        var rule = await RuleAsync(new { name = "Hours", trigger = "keyword", keywords = new[] { "opening hours" }, variants = new[] { "We open 9 to 6." } });
        try
        {
            var quiet = NewPhone();
            await WritesAsync(quiet, "what are your opening hours?");
            var c = await ConversationOf(quiet);
            Assert.Equal(JsonValueKind.Null, c.GetProperty("teamId").ValueKind);   // the bot answered: it is the bot's
            f.Clock.Advance(TimeSpan.FromMinutes(29));
            await TeamFixture.RunTimersAsync(f);
            Assert.Equal("open", (await ConversationOf(quiet)).GetProperty("status").GetString());
            f.Clock.Advance(TimeSpan.FromMinutes(1));
            await TeamFixture.RunTimersAsync(f);
            c = await ConversationOf(quiet);
            Assert.Equal("bot", c.GetProperty("resolution").GetString());
            Assert.Equal("resolved", await f.Db.ScalarAsync<string>("select bot_outcome from conversations where id = @c",
                ("c", c.GetProperty("id").GetGuid())));

            // The customer's next message that the bot cannot answer queues it at once, and no quiet period resolves it.
            var more = NewPhone();
            await WritesAsync(more, "opening hours?");
            await WritesAsync(more, "xyzzy plugh 42");                               // nothing the bot knows
            Assert.Equal(team, (await ConversationOf(more)).GetProperty("teamId").GetGuid());
            f.Clock.Advance(TimeSpan.FromMinutes(31));
            await TeamFixture.RunTimersAsync(f);
            Assert.Equal("open", (await ConversationOf(more)).GetProperty("status").GetString());

            // Resolved by a person, a conversation only the bot answered is not "resolved by the bot".
            var manual = NewPhone();
            await WritesAsync(manual, "opening hours please");
            var id = (await ConversationOf(manual)).GetProperty("id").GetGuid();
            Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsync($"/api/v1/conversations/{id}/resolve", null)).StatusCode);
            Assert.Equal("agent", (await ConversationOf(manual)).GetProperty("resolution").GetString());
            Assert.Equal(0, await f.Db.CountAsync("from conversations where id = @c and bot_outcome = 'resolved'", ("c", id)));
        }
        finally
        {
            await f.Admin.DeleteAsync($"/api/v1/auto-replies/{rule.GetProperty("id").GetGuid()}");
            await f.Admin.PatchAsJsonAsync($"/api/v1/teams/{team}", new { isDefault = false });
        }
    }

    [Fact]
    public async Task A_merged_customer_gets_three_automated_messages_in_24_hours_across_all_channels()
    {
        await RuleAsync(new { name = "Refunds", trigger = "keyword", keywords = new[] { "refund" }, variants = new[] { "Refunds take 5 days." } });
        var phone = NewPhone();
        var openId = "o" + Guid.NewGuid().ToString("N")[..27];
        async Task WeChatWritesAsync(string text)
        {
            var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>{f.Clock.GetUtcNow().ToUnixTimeSeconds()}</CreateTime>"
                + $"<MsgType>text</MsgType><Content>{text}</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
            (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
            await f.DrainAsync();
        }
        await WritesAsync(phone, "refund please");
        await WritesAsync(phone, "refund, again");
        await WeChatWritesAsync("你好");
        var whatsApp = await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", phone));
        var weChat = await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", openId));
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat })).StatusCode);

        // One customer now: two automated messages already went out on WhatsApp, so WeChat gets one, then a human.
        await WeChatWritesAsync("refund?");
        await WeChatWritesAsync("refund!!");
        Assert.Equal(3, await f.Db.CountAsync("from messages where author_id = 'bot' and contact_id = any(@c)", ("c", new[] { whatsApp, weChat })));
        Assert.Equal(1, await f.Db.CountAsync("from messages where author_id = 'bot' and contact_id = @c", ("c", weChat)));
        var handedOver = await f.Db.ScalarAsync<Guid>("select id from conversations where contact_id = @c and status = 'open'", ("c", weChat));
        Assert.Equal(1, await f.Db.CountAsync("from entity_events where entity_id = @c and type = 'bot.handed_over'", ("c", handedOver)));
    }

    /// <summary>One customer on WhatsApp and on WeChat, not merged yet: a keyword rule has answered twice on WhatsApp
    /// (the customer's grain has read them) and once on WeChat.</summary>
    private async Task<(string Phone, Guid WhatsApp, Guid WeChat)> ThreeAutomatedOnTwoIdentitiesAsync(string keyword)
    {
        await RuleAsync(new { name = keyword, trigger = "keyword", keywords = new[] { keyword }, variants = new[] { $"About {keyword}: see our page." } });
        var phone = NewPhone();
        var openId = "o" + Guid.NewGuid().ToString("N")[..27];
        var xml = $"<xml><ToUserName>gh</ToUserName><FromUserName>{openId}</FromUserName><CreateTime>{f.Clock.GetUtcNow().ToUnixTimeSeconds()}</CreateTime>"
            + $"<MsgType>text</MsgType><Content>{keyword}?</Content><MsgId>{Random.Shared.NextInt64(1, long.MaxValue)}</MsgId></xml>";
        await WritesAsync(phone, $"{keyword} please");
        await WritesAsync(phone, $"{keyword}, again");
        (await WeChatCallbacks.PostAsync(f.Host.CreateClient(), f.WeChatChannel, xml, f.Clock.GetUtcNow())).EnsureSuccessStatusCode();
        await f.DrainAsync();
        return (phone, await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", phone)),
            await f.Db.ScalarAsync<Guid>("select id from contacts where external_id = @e", ("e", openId)));
    }

    private Task<long> AutomatedTo(params Guid[] contacts) =>
        f.Db.CountAsync("from messages where author_id = 'bot' and contact_id = any(@c)", ("c", contacts));

    [Fact]
    public async Task Merging_brings_the_other_identitys_automated_messages_under_the_cap_at_once()
    {
        var (phone, whatsApp, weChat) = await ThreeAutomatedOnTwoIdentitiesAsync("exchange");
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{whatsApp}/merge", new { sourceContactId = weChat })).StatusCode);

        await WritesAsync(phone, "exchange now?");                             // three already: a human takes it
        Assert.Equal(3, await AutomatedTo(whatsApp, weChat));
    }

    /// <summary>The same through the matching rule (a verified phone joins the existing customer): the merge is made
    /// by the customer's grain too, which reads the cap again.</summary>
    [Fact]
    public async Task A_merge_by_the_matching_rule_brings_the_other_identitys_automated_messages_under_the_cap_at_once()
    {
        var (phone, whatsApp, weChat) = await ThreeAutomatedOnTwoIdentitiesAsync("warranty");
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { autoMergeVerifiedPhone = true })).StatusCode);
        try
        {
            (await f.Admin.PatchAsJsonAsync($"/api/v1/contacts/{weChat}", new { phone = "+" + phone })).EnsureSuccessStatusCode();
            await f.DrainAsync();                                               // the rule merges WeChat into the older WhatsApp identity
            Assert.Equal(whatsApp, await f.Db.ScalarAsync<Guid>("select merged_into from contacts where id = @c", ("c", weChat)));

            await WritesAsync(phone, "warranty now?");                           // three already: a human takes it
            Assert.Equal(3, await AutomatedTo(whatsApp, weChat));
        }
        finally { await f.Admin.PatchAsJsonAsync("/api/v1/settings", new { autoMergeVerifiedPhone = false }); }
    }

    [Fact]
    public async Task The_24_hour_cap_is_sliding_and_frees_a_slot_at_exactly_24_hours()
    {
        await RuleAsync(new { name = "Returns", trigger = "keyword", keywords = new[] { "return" }, variants = new[] { "Returns are free within 7 days." } });
        var phone = NewPhone();
        await WritesAsync(phone, "return?");
        f.Clock.Advance(TimeSpan.FromHours(1));
        await WritesAsync(phone, "return how");
        await WritesAsync(phone, "return where");
        Assert.Equal(3, SentTo(phone).Count());
        f.Clock.Advance(TimeSpan.FromHours(23).Add(-TimeSpan.FromSeconds(1)));   // 1 s before the first reply is 24 h old
        var human = await f.Db.ScalarAsync<Guid>("select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        await f.Db.ExecAsync("update conversations set bot_outcome = null where id = @c", ("c", human));  // keep the bot in play for this check
        await WritesAsync(phone, "return again");
        Assert.Equal(3, SentTo(phone).Count());
        await f.Db.ExecAsync("update conversations set bot_outcome = null where id = @c", ("c", human));
        f.Clock.Advance(TimeSpan.FromSeconds(1));                                  // exactly 24 h: the first reply no longer counts
        await WritesAsync(phone, "return once more");
        Assert.Equal(4, SentTo(phone).Count());
        f.Clock.Rewind(TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task The_cap_holds_when_two_nodes_handle_the_same_customer_at_once()
    {
        await using var nodeB = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "node-b");
        await RuleAsync(new { name = "Colour", trigger = "keyword", keywords = new[] { "colour" }, variants = new[] { "We have red and blue." }, priority = 40 });
        var phone = NewPhone();
        var nodes = new[] { f.Host.CreateClient(), nodeB.CreateClient() };
        var ts = f.Clock.GetUtcNow().ToUnixTimeSeconds();
        // Four rounds of one message to each node at the same moment: at least eight separate bot decisions racing in pairs.
        for (var round = 0; round < 4; round++)
        {
            var posts = nodes.Select((node, i) => Wa.PostAsync(node, f.WhatsAppChannel, Wa.TextDelivery(phone, Wa.NewId(), ts, $"colour {round}-{i}?")));
            Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        }
        Assert.Equal(3, await f.Db.CountAsync("from messages m join contacts c on c.id = m.contact_id where c.external_id = @p and m.author_id = 'bot'", ("p", phone)));
    }

    [Fact]
    public async Task Pressing_talk_to_an_agent_hands_over_at_once()
    {
        await RuleAsync(new { name = "Sizes", trigger = "keyword", keywords = new[] { "size" }, variants = new[] { "See our size chart." } });
        var phone = NewPhone();
        await WritesAsync(phone, "which size?");
        await WritesAsync(phone, "", buttonId: "talk_to_agent");
        var c = await ConversationOf(phone);
        Assert.Equal(1, await f.Db.CountAsync("from conversations where id = @c and bot_outcome = 'handed_over'", ("c", c.GetProperty("id").GetGuid())));
    }

    [Fact]
    public async Task Keyword_routing_puts_the_conversation_in_its_teams_queue_in_the_inbound_transaction()
    {
        var finance = await TeamFixture.TeamAsync(f, "Finance", "manual", []);
        var logistics = await TeamFixture.TeamAsync(f, "Logistics", "manual", []);
        (await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = finance, keywords = new[] { "refund" } })).EnsureSuccessStatusCode();
        (await f.Admin.PostAsJsonAsync("/api/v1/routing-rules", new { teamId = logistics, pattern = @"\b[A-Z]{2}\d{9}[A-Z]{2}\b" })).EnsureSuccessStatusCode();
        var refund = NewPhone();
        var tracking = NewPhone();
        await WritesAsync(refund, "I want a REFUND");
        await WritesAsync(tracking, "where is RR123456789TH");
        var a = await ConversationOf(refund);
        var b = await ConversationOf(tracking);
        Assert.Equal(finance, a.GetProperty("teamId").GetGuid());
        Assert.Equal(logistics, b.GetProperty("teamId").GetGuid());
        // Routed in the same transaction that stored the message: queued the moment it arrived (well within 20 s).
        Assert.Equal(a.GetProperty("openedAt").GetDateTimeOffset(), a.GetProperty("queuedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Outside_business_hours_the_offline_notice_tells_the_hours()
    {
        var offline = await RuleAsync(new { name = "Offline", trigger = "offline", variants = new[] { "We're closed. Hours: {hours}. We reply from {next_open}." }, priority = 10 });
        var phone = NewPhone();
        f.Clock.Advance(TimeSpan.FromHours(14));   // 09:00 UTC + 14 h = 23:00: offline by default
        await WritesAsync(phone, "anyone there?");
        var text = BodyText(SentTo(phone).Single());
        Assert.Contains("Mon 08:00–22:00", text);
        Assert.Contains("08:00", text);
        f.Clock.Rewind(TimeSpan.FromHours(14));
        await f.Admin.DeleteAsync($"/api/v1/auto-replies/{offline.GetProperty("id").GetGuid()}");
    }

    [Fact]
    public async Task A_content_update_on_one_node_is_used_by_another_for_the_next_message()
    {
        await using var nodeB = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "node-b");
        var rule = await RuleAsync(new { name = "Stock", trigger = "keyword", keywords = new[] { "stock" }, variants = new[] { "In stock, ships today." }, priority = 50 });
        var patched = await f.Admin.PatchAsJsonAsync($"/api/v1/auto-replies/{rule.GetProperty("id").GetGuid()}", new { variants = new[] { "Limited pre-order: ships in 2 weeks." } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var phone = NewPhone();
        await WritesAsync(phone, "is it in stock?", nodeB.CreateClient());
        Assert.Equal("Limited pre-order: ships in 2 weeks.", BodyText(SentTo(phone).Single()));
        var tooBig = new StringContent(JsonSerializer.Serialize(new { variants = new[] { new string('x', 6000) } }), System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await f.Admin.PatchAsync($"/api/v1/auto-replies/{rule.GetProperty("id").GetGuid()}", tooBig)).StatusCode);
    }

    [Fact]
    public async Task Rules_over_the_limits_are_refused_and_late_key_content_warned()
    {
        var tooLong = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new { name = "Long", trigger = "keyword", keywords = new[] { "x" }, variants = new[] { new string('a', 300) } });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("44 too many", await tooLong.Content.ReadAsStringAsync());
        var warned = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies", new { name = "Promo", trigger = "keyword", keywords = new[] { "promo" },
            variants = new[] { new string('a', 160) + " code SAVE20" } });
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Contains("SAVE20", await warned.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_dry_run_says_what_would_happen_and_sends_nothing()
    {
        await RuleAsync(new { name = "Discount", trigger = "keyword", keywords = new[] { "discount" }, variants = new[] { "10% off this week." }, priority = 3 });
        var sent = f.Provider.Sent.Count;
        var run = await f.Admin.PostAsJsonAsync("/api/v1/auto-replies/dry-run", new { text = "any discount?" });
        var result = JsonDocument.Parse(await run.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("reply", result.GetProperty("outcome").GetString());
        Assert.Equal("Discount", result.GetProperty("reply").GetProperty("ruleName").GetString());
        Assert.Contains("Discount", result.GetProperty("why").GetString());
        var none = JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/auto-replies/dry-run", new { text = "talk to an agent" })).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("hand_over", none.GetProperty("outcome").GetString());
        Assert.Equal(sent, f.Provider.Sent.Count);
    }

    [Fact]
    public async Task The_match_rate_over_a_test_set_of_100_questions_and_the_live_share()
    {
        await RuleAsync(new { name = "Delivery", trigger = "keyword", keywords = new[] { "delivery", "ship", "ค่าจัดส่ง", "运费" }, variants = new[] { "Delivery takes 2 days." }, priority = 2 });
        await RuleAsync(new { name = "Refunds", trigger = "keyword", keywords = new[] { "refund", "money back", "वापसी" }, variants = new[] { "Refunds take 5 days." }, priority = 2 });
        var questions = Enumerable.Range(0, 100).Select(i => (i % 10) switch
        {
            0 => new { text = $"when is delivery for order {i}", expected = "Delivery" },
            1 => new { text = $"ค่าจัดส่งเท่าไหร่ {i}", expected = "Delivery" },
            2 => new { text = $"运费多少 {i}", expected = "Delivery" },
            3 => new { text = $"can I get my money back {i}", expected = "Refunds" },
            4 => new { text = $"मुझे वापसी चाहिए {i}", expected = "Refunds" },
            5 => new { text = $"I want a refund for {i}", expected = "Refunds" },
            6 => new { text = $"talk to an agent please {i}", expected = "hand_over" },
            7 => new { text = $"do you ship to Laos {i}", expected = "Delivery" },
            8 => new { text = $"refund status {i}", expected = "Refunds" },
            _ => new { text = $"what colours exist {i}", expected = "Colours" },   // no rule yet: a miss
        }).ToArray();
        Assert.Equal(100, JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/auto-replies/test-set", new { questions, replace = true })).Content.ReadAsStringAsync()).RootElement.GetInt32());
        var report = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/auto-replies/match-rate");
        Assert.Equal(100, report.GetProperty("questions").GetInt32());
        Assert.Equal(0.9m, report.GetProperty("rate").GetDecimal());
        Assert.All(report.GetProperty("misses").EnumerateArray(), m => Assert.Equal("Colours", m.GetProperty("expected").GetString()));

        var phone = NewPhone();
        await WritesAsync(phone, "refund please");
        await WritesAsync(phone, "what colours exist");
        var live = await f.Admin.GetFromJsonAsync<JsonElement>("/api/v1/auto-replies/match-rate");
        Assert.True(live.GetProperty("liveQuestions").GetInt32() >= 2);
        Assert.True(live.GetProperty("liveAnswered").GetInt32() >= 1);
    }

    [Fact]
    public async Task A_qa_flow_runs_its_started_version_answers_in_layers_and_hands_over_when_it_cannot_resolve()
    {
        object Flow(string answer) => new
        {
            key = "returns", name = "Returns", entryKeywords = new[] { "return policy" },
            definition = new
            {
                start = "root",
                nodes = new Dictionary<string, object>
                {
                    ["root"] = new { text = "What do you need?", options = new object[] { new { id = "steps", title = "Return steps", next = "steps" }, new { id = "human", title = "Something else", handOver = true } } },
                    ["steps"] = new { text = "Reply RETURN PROCESS for details.", options = new object[] { new { id = "process", title = "Return process", keywords = new[] { "return process" }, answer } } },
                },
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await f.Admin.PostAsJsonAsync("/api/v1/bot-flows", Flow("v1: pack, label, drop off."))).StatusCode);
        var phone = NewPhone();
        await WritesAsync(phone, "what is your return policy");
        Assert.Equal("What do you need?", BodyText(SentTo(phone).Last()));
        // A new version while this customer is in the flow: they finish the one they started.
        Assert.Equal(2, JsonDocument.Parse(await (await f.Admin.PostAsJsonAsync("/api/v1/bot-flows", Flow("v2: use the app."))).Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt32());
        await WritesAsync(phone, "", buttonId: "steps");
        Assert.Equal("Reply RETURN PROCESS for details.", BodyText(SentTo(phone).Last()));
        await WritesAsync(phone, "RETURN PROCESS");
        Assert.Equal("v1: pack, label, drop off.", BodyText(SentTo(phone).Last()));

        var other = NewPhone();
        await WritesAsync(other, "return policy?");
        await WritesAsync(other, "bananas");
        await WritesAsync(other, "more bananas");                      // not understood twice: a person takes over
        var c = await ConversationOf(other);
        Assert.Equal(1, await f.Db.CountAsync("from conversations where id = @c and bot_outcome = 'handed_over'", ("c", c.GetProperty("id").GetGuid())));
        var broken = await f.Admin.PostAsJsonAsync("/api/v1/bot-flows", new { key = "bad", name = "Bad", entryKeywords = new[] { "x" }, definition = new { start = "nowhere", nodes = new Dictionary<string, object>() } });
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
    }

    [Fact]
    public async Task Business_hours_are_set_per_business_with_holidays_and_a_time_zone()
    {
        var put = await f.Admin.PutAsJsonAsync("/api/v1/business-hours", new
        {
            timeZone = "Asia/Bangkok",
            week = new Dictionary<string, object[]> { ["Monday"] = [new { from = "09:00", to = "12:00" }, new { from = "13:00", to = "18:00" }] },
            holidays = new[] { "2026-04-13" },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var hours = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("Mon 09:00–12:00, 13:00–18:00", hours.GetProperty("hours").GetString());
        Assert.True(hours.GetProperty("openNow").GetBoolean());   // Monday 09:00 UTC = 16:00 Bangkok
        var bad = await f.Admin.PutAsJsonAsync("/api/v1/business-hours", new { timeZone = "Mars/Olympus", week = new Dictionary<string, object[]>() });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        await f.Db.ExecAsync("update businesses set hours = null, time_zone = 'UTC'");
    }
}
