namespace Engine.Api.Webhooks;

/// <summary>Reads a request's raw bytes (webhook signatures cover exactly these) with a size limit.</summary>
public static class WebhookBody
{
    /// <summary>Meta batches up to 1,000 updates in at most 3 MB; larger bodies are refused.</summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, CancellationToken ct, int maxBytes = MaxBytes)
    {
        if (request.ContentLength > maxBytes) return null;
        using var buffer = new MemoryStream(request.ContentLength is { } n ? (int)n : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
