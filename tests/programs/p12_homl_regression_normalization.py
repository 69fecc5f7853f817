# Source: https://github.com/ageron/handson-ml3/blob/main/10_neural_nets_with_keras.ipynb
# "Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow", 3rd edition,
# chapter 10: "Building a Regression MLP Using the Sequential API" (a Normalization
# layer, the RootMeanSquaredError metric by name). Author: Aurélien Géron. Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.housing_splits(): 2,000
# California-housing-like rows split as train_test_split(random_state=42) twice would,
# in place of scikit-learn's fetch_california_housing and train_test_split), epochs
# 20 -> 10, and the last line, which reports the key figures.
import os
if os.environ.get("REFERENCE") == "tensorflow":
    import tensorflow as tf
elif os.environ.get("REFERENCE"):
    import types
    import keras
    tf = types.SimpleNamespace(keras=keras)  # Keras 3 alone: only tf.keras is there
else:
    import fastnn as tf
from standin import housing_splits, report

X_train, X_valid, X_test, y_train, y_valid, y_test = housing_splits()

tf.random.set_seed(42)
norm_layer = tf.keras.layers.Normalization(input_shape=X_train.shape[1:])
model = tf.keras.Sequential([
    norm_layer,
    tf.keras.layers.Dense(50, activation="relu"),
    tf.keras.layers.Dense(50, activation="relu"),
    tf.keras.layers.Dense(50, activation="relu"),
    tf.keras.layers.Dense(1)
])
optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
model.compile(loss="mse", optimizer=optimizer, metrics=["RootMeanSquaredError"])
norm_layer.adapt(X_train)
history = model.fit(X_train, y_train, epochs=10,
                    validation_data=(X_valid, y_valid))
mse_test, rmse_test = model.evaluate(X_test, y_test)
X_new = X_test[:3]
y_pred = model.predict(X_new)

val_rmse_key = [k for k in history.history
                if k.lower().replace("_", "") == "valrootmeansquarederror"][0]
report(loss=history.history["loss"][-1], val_rmse=history.history[val_rmse_key][-1],
       test_mse=mse_test, test_rmse=rmse_test)
