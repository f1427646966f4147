/* A shared library whose function crashes when given NULL. */
int crashy_parse(const int *input)
{
	int v = input[2];

	return v * 3;
}
