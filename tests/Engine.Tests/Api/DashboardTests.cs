using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>Orleans' dashboard at /dashboard shows the cluster to Administrators only, through an API key or from a
/// browser signed in to the web app; it has no authentication of its own.</summary>
public class DashboardTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private static readonly string[] Paths = ["/dashboard/", "/dashboard/DashboardCounters", "/dashboard/Reminders"];

    [Fact]
    public async Task An_administrator_sees_the_clusters_silos_and_grains()
    {
        var page = await f.Admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // The dashboard collects the cluster's membership in the background: a node just started may not list it yet.
        JsonElement[] hosts = [];
        for (var i = 0; i < 100 && hosts.Length == 0; i++)
        {
            if (i > 0) await Task.Delay(100);
            hosts = [.. (await f.Admin.GetFromJsonAsync<JsonElement>("/dashboard/DashboardCounters")).GetProperty("hosts").EnumerateArray()];
        }
        var silo = Assert.Single(hosts);
        Assert.Equal("node-a", silo.GetProperty("siloName").GetString());
        Assert.Equal("Active", silo.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_browser_signed_in_as_an_administrator_opens_it_with_its_session_cookie()
    {
        var (admin, _) = await TeamFixture.AgentAsync(f, "Ada Admin", role: "Administrator", online: false);
        var browser = await CookieClientAsync(admin);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/DashboardCounters")).StatusCode);
    }

    [Fact]
    public async Task Anyone_else_is_refused_every_route()
    {
        var (agent, agentClient) = await TeamFixture.AgentAsync(f, "Avi Agent", online: false);
        var (_, editorClient) = await TeamFixture.AgentAsync(f, "Eda Editor", role: "Editor", online: false);
        var agentBrowser = await CookieClientAsync(agent);
        foreach (var path in Paths)
        {
            var anonymous = await f.Host.CreateClient().GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("\"code\":\"unauthenticated\"", await anonymous.Content.ReadAsStringAsync());
            foreach (var refused in new[] { agentClient, editorClient, agentBrowser })
            {
                var r = await refused.GetAsync(path);
                Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
                Assert.DoesNotContain("siloName", await r.Content.ReadAsStringAsync());
            }
        }
    }

    /// <summary>A client that carries the web app's session cookie, as a browser does.</summary>
    private async Task<HttpClient> CookieClientAsync(Guid user)
    {
        var login = await f.Host.CreateClient().PostAsJsonAsync("/api/v1/auth/login",
            new { email = TeamFixture.EmailOf(user), password = TeamFixture.Password });
        login.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", $"engine_session={token}");
        return client;
    }
}
