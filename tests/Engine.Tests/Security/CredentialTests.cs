using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>Keys follow their users, log-ins are throttled, sessions end on a password or role change, cookies need
/// their origin.</summary>
public class CredentialTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static string Code(string json) => JsonDocument.Parse(json).RootElement.GetProperty("code").GetString()!;

    private async Task<string> KeyAsync(object body)
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
    }

    private Task<HttpResponseMessage> LogInAsync(string email, string password, HttpClient? client = null) =>
        (client ?? f.Host.CreateClient()).PostAsJsonAsync("/api/v1/auth/login", new { email, password });

    [Fact]
    public async Task A_key_issued_for_a_user_acts_with_their_current_role_and_stops_when_they_are_disabled()
    {
        var (user, _) = await TeamFixture.AgentAsync(f, "Keyed Agent");
        var client = f.Host.WithKey(await KeyAsync(new { name = "agent tool", role = "Agent", userId = user }));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/users")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync($"/api/v1/users/{user}", new { role = "Editor" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users")).StatusCode);      // the key follows the user's new role
        Assert.Equal(HttpStatusCode.NoContent, (await f.Admin.PostAsync($"/api/v1/users/{user}/disable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/conversations")).StatusCode);
    }

    [Fact]
    public async Task A_key_can_expire()
    {
        var past = await f.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "old", role = "Analyst", expiresAt = f.Clock.GetUtcNow().AddMinutes(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        var client = f.Host.WithKey(await KeyAsync(new { name = "temp", role = "Analyst", expiresAt = f.Clock.GetUtcNow().AddHours(1) }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/reports/summary")).StatusCode);
        f.Clock.Advance(TimeSpan.FromHours(2));
        try { Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/reports/summary")).StatusCode); }
        finally { f.Clock.Rewind(TimeSpan.FromHours(2)); }
    }

    [Fact]
    public async Task Five_failed_log_ins_block_the_account_for_a_growing_time_known_or_not()
    {
        var (user, _) = await TeamFixture.AgentAsync(f, "Throttled", online: false);
        var email = TeamFixture.EmailOf(user);
        var unknown = $"nobody.{Guid.NewGuid():N}@example.com";
        foreach (var account in new[] { email, unknown })
        {
            for (var i = 1; i <= 4; i++)
            {
                var wrong = await LogInAsync(account, "not the password");
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
                Assert.Equal("invalid_credentials", Code(await wrong.Content.ReadAsStringAsync()));
            }
            var fifth = await LogInAsync(account, "not the password");
            Assert.Equal(HttpStatusCode.TooManyRequests, fifth.StatusCode);
            Assert.Equal("too_many_failed_logins", Code(await fifth.Content.ReadAsStringAsync()));
            Assert.Equal(TimeSpan.FromSeconds(30), fifth.Headers.RetryAfter!.Delta);
        }
        // Even the right password waits out the block.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LogInAsync(email, TeamFixture.Password)).StatusCode);
        f.Clock.Advance(TimeSpan.FromSeconds(31));
        var sixth = await LogInAsync(email, "still wrong");
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), sixth.Headers.RetryAfter!.Delta);   // doubled
        f.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(email, TeamFixture.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(email, "wrong again")).StatusCode);   // a success cleared the count
        Assert.True(await f.Db.CountAsync("from audit_log where action = 'user.login_failed' and after->>'email' = @e", ("e", email)) >= 6);
        Assert.True(await f.Db.CountAsync("from audit_log where action = 'user.login_failed' and after->>'email' = @e", ("e", unknown)) >= 5);
    }

    [Fact]
    public async Task Each_client_address_has_a_budget_of_log_in_attempts()
    {
        await using var limited = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "limited",
            settings: new Dictionary<string, string> { ["Engine:Security:LoginAttemptsPerMinute"] = "3" });
        var client = limited.CreateClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync($"x{i}@example.com", "whatever-it-is", client)).StatusCode);
        var refused = await LogInAsync("y@example.com", "whatever-it-is", client);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("too_many_attempts", Code(await refused.Content.ReadAsStringAsync()));
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_log_in_body_over_4_KB_is_refused()
    {
        var r = await LogInAsync("a@example.com", new string('p', 5000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
    }

    [Fact]
    public async Task A_bootstrap_password_below_the_policy_stops_the_node_from_starting()
    {
        await using var weak = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "weak", settings: new Dictionary<string, string>
        {
            ["Engine:BootstrapAdminEmail"] = "boot@example.com", ["Engine:BootstrapAdminPassword"] = "short",
        });
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Task.Run(() => weak.CreateClient()));
        Assert.Contains("BootstrapAdminPassword", e.ToString());
    }

    [Fact]
    public async Task A_password_or_role_change_ends_the_users_other_sessions()
    {
        var (user, first) = await TeamFixture.AgentAsync(f, "Two Sessions", role: "Administrator", online: false);
        var second = await TeamFixture.SignInAsync(f, user, online: false);
        var third = await TeamFixture.SignInAsync(f, user, online: false);
        // The user changes their own password from the first session: that session stays, the others end.
        Assert.Equal(HttpStatusCode.OK, (await first.PatchAsJsonAsync($"/api/v1/users/{user}", new { password = "a brand new passphrase" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await third.GetAsync("/api/v1/me")).StatusCode);
        // An administrator changes their role: every session of theirs ends.
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync($"/api/v1/users/{user}", new { role = "Editor" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/api/v1/me")).StatusCode);
        // A change of name only ends nothing.
        var login = await LogInAsync(TeamFixture.EmailOf(user), "a brand new passphrase");
        var fresh = f.Host.CreateClient();
        fresh.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.PatchAsJsonAsync($"/api/v1/users/{user}", new { name = "Renamed" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task An_unsafe_request_riding_on_the_session_cookie_needs_this_sites_origin()
    {
        var (user, _) = await TeamFixture.AgentAsync(f, "Cookie User", online: false);
        var login = await LogInAsync(TeamFixture.EmailOf(user), TeamFixture.Password);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("engine_session="));
        HttpRequestMessage Presence(string? origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/me/presence") { Content = JsonContent.Create(new { presence = "away" }) };
            request.Headers.Add("Cookie", cookie.Split(';')[0]);
            if (origin is not null) request.Headers.Add("Origin", origin);
            return request;
        }
        var client = f.Host.CreateClient();
        var forged = await client.SendAsync(Presence("https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("origin_mismatch", Code(await forged.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Presence(null))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Presence("http://localhost"))).StatusCode);
        // A cookie GET, and API-key requests without any Origin, are unaffected.
        var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        read.Headers.Add("Cookie", cookie.Split(';')[0]);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(read)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await f.Admin.PostAsJsonAsync("/api/v1/labels", new { name = $"csrf-{Guid.NewGuid():N}"[..20] })).StatusCode);
    }

    [Fact]
    public async Task The_session_cookie_is_secure_behind_a_trusted_tls_proxy_only()
    {
        var (user, _) = await TeamFixture.AgentAsync(f, "Proxied", online: false);
        async Task<string> CookieVia(EngineHost host)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
            {
                Content = JsonContent.Create(new { email = TeamFixture.EmailOf(user), password = TeamFixture.Password }),
            };
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            var r = await host.CreateClient().SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return r.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("engine_session="));
        }
        await using var untrusted = ProxiedHost("untrusted", null);
        Assert.DoesNotContain("secure", (await CookieVia(untrusted)).ToLowerInvariant());
        await using var trusted = ProxiedHost("trusted", "127.0.0.1");
        Assert.Contains("secure", (await CookieVia(trusted)).ToLowerInvariant());
    }

    /// <summary>A node whose requests come from 127.0.0.1 (the proxy), trusting the given proxies.</summary>
    private EngineHost ProxiedHost(string name, string? trusted)
    {
        var settings = new Dictionary<string, string>();
        if (trusted is not null) settings["Engine:Security:TrustedProxies"] = trusted;
        var host = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: name, settings: settings);
        host.FromAddress(IPAddress.Loopback);
        return host;
    }

    [Fact]
    public async Task The_web_app_is_served_with_the_security_headers()
    {
        var r = await f.Host.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var csp = r.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
        var api = await f.Admin.GetAsync("/api/v1/me");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_request_is_refused()
    {
        var phone = "66961000001";
        var conversation = await f.CustomerWritesAsync(phone);
        var key = $"crm-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Accepted, (await f.SendAsync(conversation, new { type = "text", text = "first", idempotencyKey = key })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await f.SendAsync(conversation, new { type = "text", text = "first", idempotencyKey = key })).StatusCode);
        var other = await f.SendAsync(conversation, new { type = "text", text = "something else", idempotencyKey = key });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("idempotency_key_reused", Code(await other.Content.ReadAsStringAsync()));
        Assert.Equal(1, await f.Db.CountAsync("from messages where idempotency_key = @k", ("k", key)));
    }

    [Fact]
    public async Task An_agent_sees_a_contact_only_through_conversations_of_their_teams()
    {
        var (agent, client) = await TeamFixture.AgentAsync(f, "Scoped Agent", online: false);
        var mine = await TeamFixture.TeamAsync(f, "Mine", "manual", [agent]);
        var other = await TeamFixture.TeamAsync(f, "Other", "manual", []);
        var visible = await f.CustomerWritesAsync("66962000001");
        var hidden = await f.CustomerWritesAsync("66962000002");
        foreach (var (conversation, team) in new[] { (visible, mine), (hidden, other) })
            Assert.Equal(HttpStatusCode.OK, (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/transfer", new { toTeamId = team, comment = "routing for the test" })).StatusCode);
        var visibleContact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", visible));
        var hiddenContact = await f.Db.ScalarAsync<Guid>("select contact_id from conversations where id = @c", ("c", hidden));
        await f.Admin.PostAsJsonAsync($"/api/v1/contacts/{hiddenContact}/notes", new { text = "VIP complaint, private" });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/contacts/{visibleContact}")).StatusCode);
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/v1/contacts/{visibleContact}/conversations");
        Assert.Equal(visible, Assert.Single(history.EnumerateArray()).GetProperty("id").GetGuid());
        foreach (var path in new[] { "", "/conversations", "/notes" })
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/contacts/{hiddenContact}{path}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync($"/api/v1/contacts/{hiddenContact}/notes", new { text = "x" })).StatusCode);
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/contacts?limit=200");
        var ids = list.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(visibleContact, ids);
        Assert.DoesNotContain(hiddenContact, ids);
        Assert.Equal(HttpStatusCode.OK, (await f.Admin.GetAsync($"/api/v1/contacts/{hiddenContact}/notes")).StatusCode);
    }
}
