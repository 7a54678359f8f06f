using System.Xml.Linq;
using Engine.Silo.Database;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Access;

/// <summary>
/// Secrets at rest (channel app secrets, tokens and AES keys, WeChat access tokens, webhook signing secrets) are
/// encrypted with ASP.NET Core Data Protection. The key ring lives in PostgreSQL, so every node reads what another
/// wrote; keys rotate every 90 days (Data Protection's default) and old keys stay to decrypt older values.
/// </summary>
public sealed class SecretBox(IDataProtectionProvider provider)
{
    /// <summary>Marks an encrypted value; a value without it was written before encryption (it is re-written at
    /// start-up).</summary>
    public const string Prefix = "dp1:";

    private readonly IDataProtector _protector = provider.CreateProtector("Engine.Secrets.v1");

    public string Protect(string plain) => Prefix + _protector.Protect(plain);

    public string Unprotect(string stored) =>
        IsProtected(stored) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Where secrets are kept: (table, key column, secret column).</summary>
    private static readonly (string Table, string Key, string Column)[] Places =
    [
        ("channels", "id", "secrets"),
        ("webhook_subscriptions", "id", "secret"),
        ("access_tokens", "channel_id", "token"),
    ];

    /// <summary>Re-writes encrypted every secret stored before encryption (run at start-up by every node;
    /// idempotent).</summary>
    public async Task<int> SealPlainRowsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var sealedRows = 0;
        await using var conn = await db.OpenConnectionAsync(ct);
        foreach (var (table, key, column) in Places)
        {
            var plain = await Sql.QueryAsync(conn, null,
                $"select {key}, {column} from {table} where {column} not like @sealed",
                r => (Id: r.GetGuid(0), Value: r.GetString(1)), ct, ("sealed", Prefix + "%"));
            foreach (var (id, value) in plain)
                sealedRows += await Sql.ExecAsync(conn, null,
                    $"update {table} set {column} = @x where {key} = @id and {column} = @old", ct,
                    ("x", Protect(value)), ("id", id), ("old", value));
        }
        return sealedRows;
    }

    public static IServiceCollection AddSecretBox(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("conversation-engine");
        services.AddSingleton<PostgresKeyRing>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
            o => o.XmlRepository = sp.GetRequiredService<PostgresKeyRing>()));
        return services.AddSingleton<SecretBox>();
    }
}

/// <summary>The Data Protection key ring in the engine's PostgreSQL (table <c>data_protection_keys</c>).</summary>
public sealed class PostgresKeyRing(NpgsqlDataSource db) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var conn = db.OpenConnection();
        using var cmd = Sql.Command(conn, null,
            "select xml from data_protection_keys order by created_at, friendly_name");
        using var r = cmd.ExecuteReader();
        var keys = new List<XElement>();
        while (r.Read()) keys.Add(XElement.Parse(r.GetString(0)));
        return keys;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var conn = db.OpenConnection();
        using var cmd = Sql.Command(conn, null, """
            insert into data_protection_keys (friendly_name, xml) values (@n, @x) on conflict (friendly_name) do nothing
            """, ("n", friendlyName), ("x", element.ToString(SaveOptions.DisableFormatting)));
        cmd.ExecuteNonQuery();
    }
}
