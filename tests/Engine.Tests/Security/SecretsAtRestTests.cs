using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Engine.Silo.Access;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>Channel secrets, access tokens and webhook signing secrets are stored encrypted; rows from before are
/// sealed at start-up.</summary>
public class SecretsAtRestTests(EngineFixture f) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task No_secret_is_readable_in_the_database()
    {
        var channels = await f.Db.ScalarAsync<string[]>("select array_agg(secrets) from channels");
        Assert.NotEmpty(channels);
        Assert.All(channels, s => Assert.StartsWith(SecretBox.Prefix, s));
        Assert.All(channels, s => Assert.DoesNotContain(EngineFixture.AppSecret, s));
        Assert.All(channels, s => Assert.DoesNotContain(EngineFixture.AesKey, s));

        var hook = await f.Admin.PostAsJsonAsync("/api/v1/webhooks", new
        {
            url = "http://127.0.0.1:9/hook", events = new[] { "message.received" }, secret = "a-signing-secret-of-mine",
        });
        Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
        var stored = await f.Db.ScalarAsync<string>("select secret from webhook_subscriptions order by created_at desc limit 1");
        Assert.StartsWith(SecretBox.Prefix, stored);
        Assert.DoesNotContain("a-signing-secret-of-mine", stored);
        Assert.True(await f.Db.CountAsync("from data_protection_keys") >= 1);
    }

    [Fact]
    public async Task Secrets_written_before_encryption_are_sealed_when_a_node_starts_and_still_work()
    {
        // A channel row as an older version wrote it: plain JSON.
        var id = Guid.NewGuid();
        var business = await f.Db.ScalarAsync<Guid>("select id from businesses limit 1");
        await f.Db.ExecAsync("""
            insert into channels (id, business_id, kind, name, enabled, settings, secrets, created_at, updated_at, version)
            values (@id, @b, 'whatsapp', 'Legacy', true, '{"phoneNumberId":"990123456789555","apiBaseUrl":"https://graph.facebook.com","apiVersion":"v24.0","responseWindowHours":24}',
                    '{"appSecret":"legacy_secret","verifyToken":"v"}', now(), now(), 1)
            """, ("id", id), ("b", business));
        await using (var node = new EngineHost(f.Db.ConnectionString, f.Clock, nodeId: "sealer"))
            _ = node.CreateClient();
        var stored = await f.Db.ScalarAsync<string>("select secrets from channels where id = @id", ("id", id));
        Assert.StartsWith(SecretBox.Prefix, stored);
        Assert.DoesNotContain("legacy_secret", stored);
        // The sealed secret still verifies deliveries.
        var delivery = Wa.TextDelivery("6697000001", Wa.NewId(), 1760000000, "hi", phoneNumberId: "990123456789555");
        Assert.Equal(HttpStatusCode.OK, (await Wa.PostAsync(f.Host.CreateClient(), id, delivery, secret: "legacy_secret")).StatusCode);
        var view = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/channels/{id}");
        Assert.True(view.GetProperty("secrets").GetProperty("appSecret").GetBoolean());
    }
}
