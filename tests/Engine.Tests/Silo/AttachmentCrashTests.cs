using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.FakeProvider;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Silo;

/// <summary>
/// Sending an attachment is one durable send: two engine processes share the outbox; the node uploading the file is
/// killed with SIGKILL after the provider stored the upload but before the answer reached it. The survivor takes the
/// send over when the lease runs out, uploads again (the provider keeps an unused copy) and sends exactly one message.
/// </summary>
public sealed class AttachmentCrashTests(EngineProcesses engine) : IClassFixture<EngineProcesses>, IAsyncLifetime
{
    private const string PhoneNumberId = "990123456789077";
    private FakeProviderServer _provider = null!;

    public async Task InitializeAsync() => _provider = await FakeProviderServer.StartAsync();

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task A_node_killed_mid_upload_loses_and_doubles_nothing()
    {
        var a = await engine.StartAsync("attach-a");
        var b = await engine.StartAsync("attach-b");
        var nodes = new Dictionary<string, (HttpClient Client, int Index)> { ["attach-a"] = (a, 0), ["attach-b"] = (b, 1) };
        await EngineProcesses.Until(async () => await EngineProcesses.ActiveSilos(a) == 2, TimeSpan.FromSeconds(60),
            "two active silos");
        var channel = await EngineFixture.CreateChannelAsync(a, new
        {
            kind = "whatsapp", name = "Attachments number", phoneNumberId = PhoneNumberId, displayPhoneNumber = "15557650077",
            appSecret = EngineFixture.AppSecret, verifyToken = "v", accessToken = "EAAG-test",
            apiBaseUrl = _provider.BaseUrl.ToString().TrimEnd('/'),
        });
        var phone = "4479111" + Random.Shared.NextInt64(10_000, 99_999);
        (await Wa.PostAsync(a, channel, Wa.TextDelivery(phone, Wa.NewId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            "can you send the label?", phoneNumberId: PhoneNumberId))).EnsureSuccessStatusCode();
        var conversation = await engine.Db.ScalarAsync<Guid>(
            "select v.id from conversations v join contacts c on c.id = v.contact_id where c.external_id = @p", ("p", phone));

        var label = "%PDF-1.4\n% shipping label\n%%EOF"u8.ToArray();
        var upload = await a.PostAsync($"/api/v1/conversations/{conversation}/attachments",
            new MultipartFormDataContent { { new ByteArrayContent(label), "file", "label.pdf" } });
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var attachment = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // The provider stores the upload and then holds its answer: whichever node runs the send is mid-way.
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _provider.HoldUploadAnswers = hold;
        var sent = await a.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { type = "document", media = new { attachmentId = attachment, caption = "your label" } });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var message = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetProperty("id").GetGuid();
        await _provider.UploadArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var first = Assert.Single(_provider.Uploads.Values);
        var uploader = nodes.Single(n => first.UserAgent!.Contains($"(node {n.Key})"));
        engine.Nodes[uploader.Value.Index].Kill();   // SIGKILL between the provider's store and the engine's record
        _provider.HoldUploadAnswers = null;
        hold.TrySetResult();
        var survivor = nodes.Single(n => n.Key != uploader.Key).Value.Client;
        Assert.Equal(1L, await engine.Db.CountAsync(
            "from message_media where message_id = @m and provider_media_id is null", ("m", message)));

        // The survivor re-drives the send once the dead node's lease has run out (and, for the send's grains that lived
        // there, once the cluster has declared it dead).
        (await survivor.PostAsync("/test/clock/advance?seconds=61", null)).EnsureSuccessStatusCode();
        await EngineProcesses.Until(async () => await engine.Db.ScalarAsync<string>(
            "select status from messages where id = @m", ("m", message)) != "queued", TimeSpan.FromSeconds(150),
            "the survivor to send the message");

        Assert.Equal("accepted", await engine.Db.ScalarAsync<string>("select status from messages where id = @m", ("m", message)));
        var delivered = Assert.Single(_provider.Sent, s => s.Recipient == phone);
        var mediaId = JsonDocument.Parse(delivered.Body).RootElement.GetProperty("document").GetProperty("id").GetString()!;
        Assert.Equal(2, _provider.Uploads.Count);   // the lost answer's copy stays unused at the provider
        Assert.Equal(label, _provider.Uploads[mediaId].Bytes);
        Assert.DoesNotContain($"(node {uploader.Key})", _provider.Uploads[mediaId].UserAgent);
        Assert.Equal(mediaId, await engine.Db.ScalarAsync<string>(
            "select provider_media_id from message_media where message_id = @m", ("m", message)));
    }
}
