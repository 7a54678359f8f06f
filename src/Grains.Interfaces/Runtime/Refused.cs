namespace Engine.Grains.Interfaces.Runtime;

/// <summary>A grain refused a command in its current state; <see cref="Code"/> is machine-readable (e.g. conversation_locked).</summary>
public sealed class RefusedException(string code, string detail, object? data = null) : Exception(detail)
{
    public string Code { get; } = code;
    public object? Details { get; } = data;
}
