namespace Engine.FakeProvider;

/// <summary>Runs the fake provider by hand: <c>dotnet run --project tools/FakeProvider -- http://127.0.0.1:9099</c>.</summary>
public static class FakeProviderMain
{
    public static async Task Main(string[] args)
    {
        await using var fake = await FakeProviderServer.StartAsync(args.FirstOrDefault() ?? "http://127.0.0.1:9099");
        Console.WriteLine($"fake provider on {fake.BaseUrl} (Graph API: {{base}}/v24.0/{{phone-number-id}}/messages; WeChat: /cgi-bin/token, /cgi-bin/message/custom/send)");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(1), stop.Token); await fake.DeliverStatusesAsync(); }
            catch (OperationCanceledException) { }
            catch (Exception e) { Console.Error.WriteLine($"status webhook: {e.Message}"); }
        }
    }
}
