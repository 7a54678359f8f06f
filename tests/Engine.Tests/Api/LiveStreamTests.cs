using System.Net.Http.Headers;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

/// <summary>The live stream (server-sent events) carries what happens in the business, and only that business's events.</summary>
public class LiveStreamTests(OutboundFixture f) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task A_customer_message_and_its_delivery_ticks_arrive_on_the_stream()
    {
        var client = f.Host.Admin();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());

        var phone = "6685" + Random.Shared.NextInt64(1_000_000, 9_999_999);
        var conversation = await f.CustomerWritesAsync(phone);
        var reply = await f.SendAsync(conversation, new { type = "text", text = "Hi!" });
        reply.EnsureSuccessStatusCode();
        await f.DrainAsync();
        await f.Provider.DeliverStatusesAsync();

        var seen = new List<(string Type, Guid Entity)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!seen.Any(e => e.Type == "message.status"))
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            if (line is null) break;
            if (!line.StartsWith("data: ")) continue;
            var e = JsonDocument.Parse(line[6..]).RootElement;
            seen.Add((e.GetProperty("type").GetString()!, e.GetProperty("entityId").GetGuid()));
        }
        Assert.Contains(("conversation.opened", conversation), seen);
        Assert.Contains(("message.received", conversation), seen);
        Assert.Contains(("message.sent", conversation), seen);
        Assert.Contains(("message.status", conversation), seen);
    }
}
