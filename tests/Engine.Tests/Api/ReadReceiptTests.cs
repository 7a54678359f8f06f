using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>With the channel's read receipts on, an agent opening a conversation marks the customer's last message
/// read at WhatsApp: one call per opening with something new, none when the channel leaves them off.</summary>
public class ReadReceiptTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    private async Task<string> WritesAsync(string phone, string text)
    {
        var wamid = Wa.NewId();
        (await Wa.PostAsync(f.Host.CreateClient(), f.WhatsAppChannel,
            Wa.TextDelivery(phone, wamid, f.Clock.GetUtcNow().ToUnixTimeSeconds(), text))).EnsureSuccessStatusCode();
        return wamid;
    }

    private async Task<bool> SetReadReceiptsAsync(bool on)
    {
        var r = await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WhatsAppChannel}", new { readReceipts = on });
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("readReceipts").GetBoolean();
    }

    [Fact]
    public async Task Opening_a_conversation_marks_the_last_message_read_once_per_opening_with_news()
    {
        Assert.True(await SetReadReceiptsAsync(true));
        try
        {
            var phone = "5511944" + Random.Shared.NextInt64(100_000, 999_999);
            await WritesAsync(phone, "hello?");
            var last = await WritesAsync(phone, "anyone there?");
            var conversation = await f.Db.ScalarAsync<Guid>(
                "select conversation_id from messages where provider_message_id = @w", ("w", last));
            var (_, agent) = await TeamFixture.AgentAsync(f, "Rita Reader", role: "Administrator", online: false);
            var before = f.Provider.ReadReceipts.Count;

            (await agent.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).EnsureSuccessStatusCode();
            await f.DrainAsync();
            Assert.Equal([last], f.Provider.ReadReceipts.Skip(before));   // the last message only: WhatsApp marks the rest

            (await agent.PostAsync($"/api/v1/conversations/{conversation}/unlock", null)).EnsureSuccessStatusCode();
            (await agent.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).EnsureSuccessStatusCode();
            await f.DrainAsync();
            Assert.Single(f.Provider.ReadReceipts.Skip(before));   // opened again, nothing new: no call

            var news = await WritesAsync(phone, "still waiting");
            (await agent.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).EnsureSuccessStatusCode();
            await f.DrainAsync();
            Assert.Equal([last, news], f.Provider.ReadReceipts.Skip(before));
        }
        finally { await SetReadReceiptsAsync(false); }
    }

    [Fact]
    public async Task A_channel_without_read_receipts_marks_nothing_and_wechat_cannot_turn_them_on()
    {
        var phone = "5511955" + Random.Shared.NextInt64(100_000, 999_999);
        var wamid = await WritesAsync(phone, "hi");
        var conversation = await f.Db.ScalarAsync<Guid>("select conversation_id from messages where provider_message_id = @w", ("w", wamid));
        var (_, agent) = await TeamFixture.AgentAsync(f, "Nora Noread", role: "Administrator", online: false);
        (await agent.PostAsync($"/api/v1/conversations/{conversation}/lock", null)).EnsureSuccessStatusCode();
        await f.DrainAsync();
        Assert.DoesNotContain(wamid, f.Provider.ReadReceipts);

        var wechat = await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{f.WeChatChannel}", new { readReceipts = true });
        Assert.Equal(HttpStatusCode.BadRequest, wechat.StatusCode);
        Assert.Contains("readReceipts", await wechat.Content.ReadAsStringAsync());
    }
}
