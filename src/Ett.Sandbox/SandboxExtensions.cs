namespace Ett.Sandbox;

/// <summary>Hosts a simulator of Energinet's ETT API and a development identity provider.</summary>
public static class SandboxExtensions
{
}
