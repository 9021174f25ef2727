using System.Data.Common;

namespace Ett.Gateway.Operations.Store;

/// <summary>Thin ADO.NET helpers; parameters are named <c>@name</c> in SQL, which both providers accept.</summary>
internal static class Sql
{
    /// <summary>A connection that keeps a command per SQL text, its statement prepared, for as long as it is open.</summary>
    public interface IStatementCache
    {
        /// <summary>The command kept for <paramref name="sql"/> (no parameters, no transaction), or a new one.</summary>
        DbCommand Rent(string sql);

        /// <summary>Keeps a rented command for the next <see cref="Rent"/> of its text, or disposes it.</summary>
        ValueTask ReturnAsync(DbCommand command);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        DbCommand command;
        if (connection is IStatementCache cache) command = cache.Rent(sql);
        else
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
        }
        // Microsoft.Data.Sqlite refuses a command without the connection's open transaction.
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    public static Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken) =>
        RunAsync(Command(connection, transaction, sql, parameters), static (command, ct) => command.ExecuteNonQueryAsync(ct), cancellationToken);

    public static Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, IEnumerable<(string, object?)> parameters, CancellationToken cancellationToken) =>
        RunAsync(Command(connection, transaction, sql, parameters), static (command, ct) => command.ExecuteScalarAsync(ct), cancellationToken);

    public static Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? transaction, string sql, IEnumerable<(string, object?)> parameters, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RunAsync(Command(connection, transaction, sql, parameters), async (command, ct) =>
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<T>();
            while (await reader.ReadAsync(ct)) rows.Add(read(reader));
            return rows;
        }, cancellationToken);

    /// <summary>Runs the command and gives it back to the connection's cache; a command that failed is disposed.</summary>
    private static async Task<TResult> RunAsync<TResult>(DbCommand command, Func<DbCommand, CancellationToken, Task<TResult>> run, CancellationToken cancellationToken)
    {
        TResult result;
        try
        {
            result = await run(command, cancellationToken);
        }
        catch
        {
            await command.DisposeAsync();
            throw;
        }
        if (command.Connection is IStatementCache cache) await cache.ReturnAsync(command);
        else await command.DisposeAsync();
        return result;
    }

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static Guid? NullableGuid(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Guid.Parse(reader.GetString(ordinal));

    public static string Text(Guid id) => id.ToString("D");

    public static long Millis(DateTimeOffset instant) => instant.ToUnixTimeMilliseconds();

    public static DateTimeOffset Instant(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);

    /// <summary>Enums are stored camelCase, as callers see them (e.g. <c>intentRecorded</c>).</summary>
    public static string Name<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    public static T Parse<T>(string text) where T : struct, Enum => Enum.Parse<T>(text, ignoreCase: true);
}
