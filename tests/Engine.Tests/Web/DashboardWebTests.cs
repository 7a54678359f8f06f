using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>An Administrator signed in to the web app opens Orleans' dashboard in the browser, under the security
/// headers (its own policy: inline styles and embedded fonts, scripts still its own only); an agent cannot.</summary>
[Collection("browser")]
public class DashboardWebTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_administrator_opens_the_orleans_dashboard_in_the_browser_and_an_agent_is_refused()
    {
        var (_, email) = await f.UserAsync("Olga Operator", "Administrator");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        await page.GotoAsync("/dashboard/");
        // It renders once its first counters arrive.
        await Assertions.Expect(page.GetByText(new Regex("^active silos$", RegexOptions.IgnoreCase))).ToBeVisibleAsync(
            new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByText("Methods with Most Calls")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "dashboard-orleans");
        WebAppTests.NoConsoleErrors(errors);   // no script or style blocked

        var (_, agentEmail) = await f.UserAsync("Aldo Agent", "Agent");
        var (agentPage, _) = await f.PageAsync();
        await BrowserFixture.SignInAsync(agentPage, agentEmail);
        var refused = await agentPage.GotoAsync("/dashboard/");
        Assert.Equal(403, refused!.Status);
    }
}
