namespace Engine.Tests.Infrastructure;

/// <summary>The repository the tests were built from (the directory holding <c>orleans.sln</c>).</summary>
public static class Repository
{
    public static DirectoryInfo? Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "orleans.sln"))) dir = dir.Parent;
        return dir;
    }

    public static string Root => Find()?.FullName
        ?? throw new InvalidOperationException("The tests must run inside the repository.");

    public static string PathTo(params string[] parts) => Path.Combine([Root, .. parts]);
}
