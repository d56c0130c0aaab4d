// Package sql owns the rule as data and its compilation to DuckDB SQL: the
// rule files under rules/, the .sql templates under templates/ (both
// embedded), the parameters a run may override, and the compiler that
// validates every value before it reaches SQL. It holds no database code.
package sql
