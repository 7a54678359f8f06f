using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Engine.Tests.Web;

/// <summary>The composer's attachments and templates, and starting a conversation, in headless Chromium against the
/// engine and the fake provider.</summary>
[Collection("browser")]
public class ComposerWebTests(BrowserFixture f) : IClassFixture<BrowserFixture>
{
    private const string Waba = "102290129340999";

    private async Task<JsonElement> SentAsync(string phone, string type)
    {
        var body = await BrowserFixture.EventuallyAsync(() => Task.FromResult(f.Provider.Sent
            .FirstOrDefault(s => s.Recipient == phone && s.Type == type)?.Body), $"a {type} to reach the provider for {phone}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task An_agent_attaches_a_document_in_the_composer_and_the_customer_gets_it()
    {
        var (agent, email) = await f.UserAsync("Ada Attach", "Agent");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);
        var phone = WebAppTests.NewPhone();
        await f.CustomerWritesAsync(phone, "can you send me the return label?", name: "Lou Label");
        var conversation = await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        (await f.Admin.PostAsJsonAsync($"/api/v1/conversations/{conversation}/assign", new { agentId = agent })).EnsureSuccessStatusCode();
        await page.Locator("ul.conversations li", new() { HasText = "Lou Label" }).ClickAsync();

        // A program is refused at once, with the reason; nothing is attached.
        await page.SetInputFilesAsync("input[name=attachment]", new FilePayload
            { Name = "label.pdf", MimeType = "application/pdf", Buffer = "MZ\u0090\0 not a pdf"u8.ToArray() });
        await Assertions.Expect(page.Locator("form.composer .error")).ToContainTextAsync("none of the types");
        await Assertions.Expect(page.Locator(".attached .chip")).ToHaveCountAsync(0);

        var pdf = "%PDF-1.4\n% return label 4411\n%%EOF"u8.ToArray();
        await page.SetInputFilesAsync("input[name=attachment]", new FilePayload
            { Name = "return-label-4411.pdf", MimeType = "application/pdf", Buffer = pdf });
        await Assertions.Expect(page.Locator(".attached .chip")).ToContainTextAsync("return-label-4411.pdf");
        await page.FillAsync("#composer", "Here is your label");
        await page.ClickAsync("button[data-action=send]");

        var document = page.Locator("ol.thread li.out a.document");
        await Assertions.Expect(document).ToContainTextAsync("return-label-4411.pdf");
        await Assertions.Expect(page.Locator(".attached .chip")).ToHaveCountAsync(0);
        var sent = await SentAsync(phone, "document");
        Assert.Equal("Here is your label", sent.GetProperty("document").GetProperty("caption").GetString());
        Assert.Equal("return-label-4411.pdf", sent.GetProperty("document").GetProperty("filename").GetString());
        Assert.Equal(pdf, f.Provider.Uploads[sent.GetProperty("document").GetProperty("id").GetString()!].Bytes);
        await BrowserFixture.ScreenshotAsync(page, "composer-attachment");
        lock (errors) errors.RemoveAll(e => e.Contains("status of 415"));   // the refused upload, shown to the agent
        WebAppTests.NoConsoleErrors(errors);
    }

    [Fact]
    public async Task An_editor_starts_a_conversation_with_a_template_and_follows_up_with_another()
    {
        (await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WhatsAppChannel}", new { businessAccountId = Waba }))
            .EnsureSuccessStatusCode();
        f.Provider.AddTemplate(Waba, "order_update", "en_US", "Hi {{1}}, order {{2}} is on its way.");
        f.Provider.AddTemplate(Waba, "win_back", "en_US", "We miss you!", status: "PAUSED", category: "MARKETING");
        (await f.Admin.PostAsync($"/api/v1/channels/{f.WhatsAppChannel}/templates/sync", null)).EnsureSuccessStatusCode();
        var (editor, email) = await f.UserAsync("Eve Starter", "Editor");
        var (page, errors) = await f.PageAsync();
        await BrowserFixture.SignInAsync(page, email);

        var phone = WebAppTests.NewPhone();
        await page.ClickAsync("button[data-action=new-conversation]");
        var dialog = page.Locator("dialog.startconv");
        await dialog.Locator("input[name=phone]").FillAsync($"+{phone[..2]} {phone[2..]}");
        // Only approved templates are offered; the preview fills as the parameters are typed.
        await Assertions.Expect(dialog.Locator("select[name=template] option")).ToHaveCountAsync(1);
        await dialog.Locator("input[name=param1]").FillAsync("Ana");
        await dialog.Locator("input[name=param2]").FillAsync("4411");
        await Assertions.Expect(dialog.Locator(".preview")).ToHaveTextAsync("Hi Ana, order 4411 is on its way.");
        await BrowserFixture.ScreenshotAsync(page, "start-conversation");
        await dialog.Locator("button[data-action=start]").ClickAsync();

        // The new conversation opens, the editor's, its window closed until the customer answers.
        await Assertions.Expect(page.Locator(".convhead h2")).ToContainTextAsync(phone);
        var first = await SentAsync(phone, "template");
        Assert.Equal("order_update", first.GetProperty("template").GetProperty("name").GetString());
        Assert.Equal(["Ana", "4411"], first.GetProperty("template").GetProperty("components")[0].GetProperty("parameters")
            .EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        var conversation = await f.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));
        Assert.Equal(editor, await f.Db.ScalarAsync<Guid>("select assignee_id from conversations where id = @c", ("c", conversation)));

        // The window is closed: the composer offers the templates, and a follow-up goes out as one.
        var composer = page.Locator("form.composer");
        await Assertions.Expect(composer.Locator("select[name=template]")).ToBeVisibleAsync();
        await composer.Locator("input[name=param1]").FillAsync("Ana");
        await composer.Locator("input[name=param2]").FillAsync("4412");
        await composer.Locator("button[data-action=send]").ClickAsync();
        await BrowserFixture.EventuallyAsync(() => Task.FromResult(f.Provider.Sent.Count(s => s.Recipient == phone) == 2
            ? "two" : null), "the follow-up template");
        await Assertions.Expect(page.Locator("ol.thread li.out")).ToHaveCountAsync(2);
        WebAppTests.NoConsoleErrors(errors);
    }
}
