using System.Globalization;
using System.Text.Json;
using Engine.Silo.Runtime;

namespace Engine.Silo.Reports;

/// <summary>RFC 4180 fields, and any report turned into a table: nested objects become dotted columns, lists of numbers or text are joined with "; ".</summary>
public static class Csv
{
    /// <summary>Quotes what would break a field; text starting like a spreadsheet formula is neutralised.</summary>
    public static string Field(string value, bool isText)
    {
        if (isText && value.Length > 0 && "=+-@".Contains(value[0])) value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>One row per item of <paramref name="rows"/>, columns in the order the first row gives them.</summary>
    public static async Task WriteTableAsync<T>(IEnumerable<T> rows, TextWriter output)
    {
        var flat = rows.Select(r => Flatten(JsonSerializer.SerializeToElement(r, Effects.Json))).ToList();
        var columns = flat.SelectMany(f => f.Keys).Distinct().ToList();
        await output.WriteLineAsync(string.Join(",", columns.Select(c => Field(c, false))));
        foreach (var row in flat)
            await output.WriteLineAsync(string.Join(",", columns.Select(c => row.TryGetValue(c, out var v) ? Field(v.Text, v.IsText) : "")));
    }

    /// <summary>A single report as metric,value rows.</summary>
    public static async Task WriteMetricsAsync<T>(T report, TextWriter output)
    {
        await output.WriteLineAsync("metric,value");
        foreach (var (k, v) in Flatten(JsonSerializer.SerializeToElement(report, Effects.Json)))
            await output.WriteLineAsync(Field(k, false) + "," + Field(v.Text, v.IsText));
    }

    private static Dictionary<string, (string Text, bool IsText)> Flatten(JsonElement e)
    {
        var cells = new Dictionary<string, (string, bool)>();
        Walk(e, "", cells);
        return cells;
    }

    private static void Walk(JsonElement e, string path, Dictionary<string, (string, bool)> cells)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, cells);
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                cells[path] = (string.Join("; ", e.EnumerateArray().Select(Scalar)), true);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var x in e.EnumerateArray()) Walk(x, $"{path}[{i++}]", cells);
                break;
            default:
                cells[path] = (Scalar(e), e.ValueKind == JsonValueKind.String);
                break;
        }
    }

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Number => e.GetDecimal().ToString(CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "",
    };
}
