using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Grains.Interfaces.Runtime;
using Engine.Silo.Audit;
using Engine.Silo.Database;
using Npgsql;

namespace Engine.Silo.Channels;

/// <summary>A message template of a WhatsApp channel, with the number of parameters its body takes.</summary>
public sealed record TemplateView(
    string Name, string Language, string ProviderId, string? Category, string Status, string? Reason,
    int BodyParameters, JsonElement Components, DateTimeOffset SyncedAt, DateTimeOffset UpdatedAt);

/// <summary>What a sync found.</summary>
public sealed record TemplateSync(int Templates, int Approved, int Removed);

/// <summary>
/// A WhatsApp channel's template catalog: read from its business account (<c>GET /{version}/{waba-id}/message_templates</c>
/// with the channel's token, page by page), stored, and kept current by Meta's <c>message_template_status_update</c>
/// webhooks (approved, rejected, paused, disabled…), applied at once.
/// </summary>
public sealed partial class TemplateCatalog(NpgsqlDataSource db, IHttpClientFactory http,
    TimeProvider clock)
{
    [GeneratedRegex(@"\{\{\s*(\d+)\s*\}\}")]
    private static partial Regex Slot();

    /// <summary>The distinct numbered slots (<c>{{1}}</c>, <c>{{2}}</c>…) of the body component.</summary>
    public static int BodyParameters(JsonNode? components) =>
        (components as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => string.Equals(c["type"]?.GetValue<string>(), "BODY", StringComparison.OrdinalIgnoreCase))
            .Select(c => Slot().Matches(c["text"]?.GetValue<string>() ?? "").Select(m => m.Groups[1].Value).Distinct().Count())
            .DefaultIfEmpty(0).Max();

    public async Task<IReadOnlyList<TemplateView>> ListAsync(Guid channel, string? status, string? language,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.QueryAsync(conn, null, """
            select name, language, provider_id, category, status, reason, body_parameters, components::text, synced_at,
                   updated_at
              from whatsapp_templates
             where channel_id = @c and (@s::text is null or status = upper(@s)) and (@l::text is null or language = @l)
             order by name, language
            """, r => new TemplateView(r.GetString(0), r.GetString(1), r.GetString(2), r.NullableString(3), r.GetString(4),
                r.NullableString(5), r.GetInt32(6), JsonDocument.Parse(r.GetString(7)).RootElement.Clone(), r.Time(8),
                r.Time(9)), ct, ("c", channel), ("s", status), ("l", language));
    }

    /// <summary>Reads every template of the channel's business account and replaces the stored catalog with it
    /// (templates deleted at Meta leave it). Refused when the channel has no business account id, or Meta answers with
    /// an error.</summary>
    public async Task<TemplateSync> SyncAsync(Actor actor, Channel channel, CancellationToken ct)
    {
        if (channel.Kind != ChannelKinds.WhatsApp || channel.Settings.BusinessAccountId is not { } waba)
            throw new RefusedException("not_configured",
                "Set the channel's businessAccountId (the WhatsApp Business Account id) to sync its templates.");
        var templates = new List<JsonObject>();
        string? next = $"{channel.Settings.ApiBaseUrl.TrimEnd('/')}/{channel.Settings.ApiVersion}/{waba}/message_templates"
            + "?fields=name,language,status,category,components,id,rejected_reason&limit=100";
        for (var page = 0; next is not null && page < 100; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Secrets.AccessToken);
            JsonNode? answer;
            try
            {
                using var response = await http.CreateClient("providers").SendAsync(request, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                try { answer = JsonNode.Parse(text); } catch (JsonException) { answer = null; }
                if (!response.IsSuccessStatusCode || answer?["data"] is not JsonArray data)
                    throw new RefusedException("provider_error", "WhatsApp did not list the templates: "
                        + (answer?["error"]?["message"]?.GetValue<string>() ?? $"HTTP {(int)response.StatusCode}"));
                templates.AddRange(data.OfType<JsonObject>());
            }
            catch (HttpRequestException e)
            {
                throw new RefusedException("provider_error", $"WhatsApp is unreachable: {e.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new RefusedException("provider_error", "WhatsApp did not answer in time.");
            }
            next = answer?["paging"]?["next"]?.GetValue<string>();
        }

        var now = clock.GetUtcNow();
        var rows = templates.Where(t => t["name"] is not null && t["language"] is not null && t["id"] is not null)
            .Select(t => (Name: t["name"]!.GetValue<string>(), Language: t["language"]!.GetValue<string>(),
                Id: t["id"]!.GetValue<string>(), Category: t["category"]?.GetValue<string>(),
                Status: t["status"]?.GetValue<string>()?.ToUpperInvariant() ?? "PENDING",
                Reason: t["rejected_reason"]?.GetValue<string>() is { } r && r != "NONE" ? r : null,
                Components: t["components"]?.ToJsonString() ?? "[]", Parameters: BodyParameters(t["components"])))
            .DistinctBy(t => (t.Name, t.Language)).ToList();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var upsert = Sql.Command(conn, tx, """
            insert into whatsapp_templates (channel_id, name, language, provider_id, category, status, reason, components,
                                            body_parameters, synced_at, updated_at)
            select @c, n, l, i, k, s, r, j::jsonb, p, @now, @now
              from unnest(@n, @l, @i, @k, @s, @r, @j, @p) as u(n, l, i, k, s, r, j, p)
            on conflict (channel_id, name, language) do update
               set provider_id = excluded.provider_id, category = excluded.category, status = excluded.status,
                   reason = excluded.reason, components = excluded.components, body_parameters = excluded.body_parameters,
                   synced_at = @now,
                   updated_at = case when whatsapp_templates.status is distinct from excluded.status
                                       or whatsapp_templates.components is distinct from excluded.components
                                     then @now else whatsapp_templates.updated_at end
            """, ("c", channel.Id), ("now", now)))
        {
            upsert.Parameters.Add(new NpgsqlParameter("n", rows.Select(t => t.Name).ToArray()));
            upsert.Parameters.Add(new NpgsqlParameter("l", rows.Select(t => t.Language).ToArray()));
            upsert.Parameters.Add(new NpgsqlParameter("i", rows.Select(t => t.Id).ToArray()));
            upsert.Parameters.Add(Ingestion.InboundWriter.Texts("k", rows.Select(t => t.Category)));
            upsert.Parameters.Add(new NpgsqlParameter("s", rows.Select(t => t.Status).ToArray()));
            upsert.Parameters.Add(Ingestion.InboundWriter.Texts("r", rows.Select(t => t.Reason)));
            upsert.Parameters.Add(new NpgsqlParameter("j", rows.Select(t => t.Components).ToArray()));
            upsert.Parameters.Add(new NpgsqlParameter("p", rows.Select(t => t.Parameters).ToArray()));
            await upsert.ExecuteNonQueryAsync(ct);
        }
        var removed = await Sql.ExecAsync(conn, tx, """
            delete from whatsapp_templates where channel_id = @c
               and (name, language) not in (select * from unnest(@n::text[], @l::text[]))
            """, ct, ("c", channel.Id), ("n", rows.Select(t => t.Name).ToArray()), ("l", rows.Select(t => t.Language).ToArray()));
        var result = new TemplateSync(rows.Count, rows.Count(t => t.Status == "APPROVED"), removed);
        await AuditLog.WriteAsync(conn, tx, actor, "templates.synced", "channel", channel.Id, null, result, now, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Meta's <c>message_template_status_update</c> for the channel's business account: the template's new
    /// status (and reason) at once. Returns whether a stored template matched.</summary>
    public async Task<bool> ApplyStatusAsync(Guid channel, string? providerId, string? name, string? language,
        string status, string? reason, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Sql.ExecAsync(conn, null, """
            update whatsapp_templates set status = @s, reason = @r, updated_at = @now
             where channel_id = @c and (provider_id = @i or (name = @n and language = @l))
            """, ct, ("s", status.ToUpperInvariant()), ("r", reason is "NONE" ? null : reason), ("now", clock.GetUtcNow()),
            ("c", channel), ("i", providerId), ("n", name), ("l", language)) > 0;
    }
}
