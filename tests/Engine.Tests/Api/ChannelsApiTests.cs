using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Api;

public class ChannelsApiTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    private static object WhatsApp(string phoneNumberId) => new
    {
        kind = "whatsapp", name = "Sales", phoneNumberId, displayPhoneNumber = "15550001111",
        appSecret = "s3cret-app", verifyToken = "s3cret-verify", accessToken = "s3cret-access", apiBaseUrl = "http://127.0.0.1:9/graph",
    };

    [Fact]
    public async Task A_channel_is_created_listed_read_and_never_shows_its_secrets()
    {
        var created = await f.Admin.PostAsJsonAsync("/api/v1/channels", WhatsApp("100000000001"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var text = await created.Content.ReadAsStringAsync();
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        var list = await f.Admin.GetStringAsync("/api/v1/channels");
        var one = await f.Admin.GetStringAsync($"/api/v1/channels/{id}");
        foreach (var body in new[] { text, list, one })
        {
            Assert.DoesNotContain("s3cret", body);
            Assert.Contains(id.ToString(), body);
        }
        var c = JsonDocument.Parse(one).RootElement;
        Assert.True(c.GetProperty("secrets").GetProperty("appSecret").GetBoolean());
        Assert.Equal("http://127.0.0.1:9/graph", c.GetProperty("apiBaseUrl").GetString());
        Assert.Equal(24, c.GetProperty("responseWindowHours").GetInt32());
        Assert.Equal($"/webhooks/whatsapp/{id}", c.GetProperty("webhookPath").GetString());
    }

    [Fact]
    public async Task Wechat_channels_default_to_a_48_hour_window()
    {
        var r = await f.Admin.PostAsJsonAsync("/api/v1/channels", new { kind = "wechat", name = "WX", appId = "wx00000000000001", token = "tok123", appSecret = "x" });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(48, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("responseWindowHours").GetInt32());
    }

    public static TheoryData<string, string> InvalidCreates => new()
    {
        { """{"kind":"sms","name":"x"}""", "kind" },
        { """{"kind":"whatsapp","name":"x","appSecret":"a","verifyToken":"v","accessToken":"t"}""", "phoneNumberId" },
        { """{"kind":"whatsapp","name":"x","phoneNumberId":"123456","verifyToken":"v","accessToken":"t"}""", "appSecret" },
        { """{"kind":"whatsapp","name":"","phoneNumberId":"123456","appSecret":"a","verifyToken":"v","accessToken":"t"}""", "name" },
        { """{"kind":"whatsapp","name":"x","phoneNumberId":"123456","appSecret":"a","verifyToken":"v","accessToken":"t","apiBaseUrl":"ftp://x"}""", "apiBaseUrl" },
        { """{"kind":"whatsapp","name":"x","phoneNumberId":"123456","appSecret":"a","verifyToken":"v","accessToken":"t","responseWindowHours":0}""", "responseWindowHours" },
        { """{"kind":"wechat","name":"x","appId":"wx1","token":"no spaces!","appSecret":"s"}""", "token" },
        { """{"kind":"wechat","name":"x","appId":"wx1","token":"tok","appSecret":"s","encodingAesKey":"short"}""", "encodingAesKey" },
    };

    [Theory]
    [MemberData(nameof(InvalidCreates))]
    public async Task Invalid_channels_are_refused_with_the_field_named_and_nothing_created(string body, string field)
    {
        var before = await f.Db.CountAsync("from channels");
        var r = await f.Admin.PostAsync("/api/v1/channels", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for {field}");
        Assert.Equal(before, await f.Db.CountAsync("from channels"));
    }

    [Fact]
    public async Task A_phone_number_belongs_to_one_channel()
    {
        Assert.Equal(HttpStatusCode.Created, (await f.Admin.PostAsJsonAsync("/api/v1/channels", WhatsApp("100000000002"))).StatusCode);
        var again = await f.Admin.PostAsJsonAsync("/api/v1/channels", WhatsApp("100000000002"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("channel_exists", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Updating_changes_settings_validates_the_result_and_keeps_kind()
    {
        var id = await EngineFixture.CreateChannelAsync(f.Admin, WhatsApp("100000000003"));
        var ok = await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{id}", new { name = "Support", responseWindowHours = 48 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var c = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Support", c.GetProperty("name").GetString());
        Assert.Equal(48, c.GetProperty("responseWindowHours").GetInt32());
        Assert.Equal(2, c.GetProperty("version").GetInt64());

        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{id}", new { responseWindowHours = 500 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{id}", new { kind = "wechat" })).StatusCode);
        Assert.Equal(48, await f.Db.ScalarAsync<int>("select (settings->>'responseWindowHours')::int from channels where id = @id", ("id", id)));
        Assert.Equal(HttpStatusCode.NotFound, (await f.Admin.PatchAsJsonAsync($"/api/v1/channels/{Guid.NewGuid()}", new { name = "x" })).StatusCode);
    }

    [Fact]
    public async Task A_disabled_channel_refuses_webhooks_until_enabled_again()
    {
        var id = await EngineFixture.CreateChannelAsync(f.Admin, new
        {
            kind = "whatsapp", name = "Temp", phoneNumberId = "100000000004", appSecret = EngineFixture.AppSecret, verifyToken = "v", accessToken = "t",
        });
        var client = f.Host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(client, id, Wa.TextDelivery("4915100000001", Wa.NewId(), 1760000000, "a", phoneNumberId: "100000000004"))).StatusCode);

        var disabled = await f.Admin.PostAsync($"/api/v1/channels/{id}/disable", null);
        Assert.False(JsonDocument.Parse(await disabled.Content.ReadAsStringAsync()).RootElement.GetProperty("enabled").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await Wa.PostAsync(client, id, Wa.TextDelivery("4915100000001", Wa.NewId(), 1760000001, "b", phoneNumberId: "100000000004"))).StatusCode);

        await f.Admin.PostAsync($"/api/v1/channels/{id}/enable", null);
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(client, id, Wa.TextDelivery("4915100000001", Wa.NewId(), 1760000002, "c", phoneNumberId: "100000000004"))).StatusCode);
        Assert.Equal(2, await f.Db.CountAsync("from messages where channel_id = @c", ("c", id)));
    }

    [Fact]
    public async Task Malformed_request_json_is_a_problem_not_a_crash()
    {
        var r = await f.Admin.PostAsync("/api/v1/channels", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
    }
}
